import { KernelError } from '@vfio-sim/platform';
import type { CaseResult } from '../judge/judge-case.js';
import { formatShard, type Shard, WHOLE } from './shard.js';
import { CampaignTally, type PlannedCases } from './summary.js';

/** The first line of a results file: which campaign, which shard, how many cases it planned. */
export interface CampaignHeader {
  readonly type: 'campaign';
  readonly format: 1;
  readonly seed: number;
  /** `i/n`. */
  readonly shard: string;
  /** Cases of the whole campaign (indexes 0 .. cases − 1), or null for a campaign bounded by time. */
  readonly cases: number | null;
}

/** A results file: JSON Lines — the header, one line per case (index order), a summary line last. */
export function formatHeader(seed: number, shard: Shard, cases: number | null): string {
  const h: CampaignHeader = { type: 'campaign', format: 1, seed, shard: formatShard(shard), cases };
  return `${JSON.stringify(h)}\n`;
}

/** One case's line. */
export function formatResultLine(r: CaseResult): string {
  return `${JSON.stringify({ type: 'case', ...r })}\n`;
}

/** A results file read back. */
export interface ResultsFile {
  readonly name: string;
  readonly header: CampaignHeader;
  readonly results: readonly CaseResult[];
}

/**
 * Read a results file (`vfio-sim campaign --out`): its header and case lines (other line types, such as
 * the summary, are skipped).
 * @throws KernelError EINVAL naming the file and line of anything that is not such a file.
 */
export function parseResults(name: string, text: string): ResultsFile {
  let header: CampaignHeader | undefined;
  const results: CaseResult[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let value: { type?: unknown } & Record<string, unknown>;
    try {
      value = JSON.parse(line);
    } catch {
      throw new KernelError('EINVAL', `${name}:${i + 1}: not a JSON line`);
    }
    if (value.type === 'campaign') {
      if (header !== undefined) throw new KernelError('EINVAL', `${name}:${i + 1}: a second header`);
      if (value.format !== 1 || typeof value.seed !== 'number' || typeof value.shard !== 'string')
        throw new KernelError('EINVAL', `${name}:${i + 1}: not a campaign header of format 1`);
      header = value as unknown as CampaignHeader;
    } else if (value.type === 'case') {
      if (header === undefined) throw new KernelError('EINVAL', `${name}:${i + 1}: a case before the header`);
      if (typeof value.index !== 'number' || !Array.isArray(value.violations))
        throw new KernelError('EINVAL', `${name}:${i + 1}: not a case result`);
      const { type: _type, ...result } = value;
      results.push(result as unknown as CaseResult);
    }
  });
  if (header === undefined)
    throw new KernelError('EINVAL', `${name}: no campaign header (not a vfio-sim campaign results file)`);
  return { name, header, results };
}

/**
 * Merge the results files of a campaign's shards (any order; a case that appears twice counts once)
 * into one tally, with the cases the campaign planned — all of them, so a shard whose file is missing
 * shows as missing cases (none for campaigns bounded by time).
 * @throws KernelError EINVAL for files of different campaigns (seed, or number of cases) or no file.
 */
export function mergeResults(files: readonly ResultsFile[]): {
  tally: CampaignTally;
  planned: PlannedCases | undefined;
} {
  const first = files[0];
  if (first === undefined) throw new KernelError('EINVAL', 'no results file to merge');
  for (const f of files) {
    if (f.header.seed !== first.header.seed)
      throw new KernelError(
        'EINVAL',
        `${f.name}: seed ${f.header.seed}, but ${first.name} has ${first.header.seed}`,
      );
    if (f.header.cases !== first.header.cases)
      throw new KernelError(
        'EINVAL',
        `${f.name}: ${f.header.cases ?? 'no number of'} cases planned, but ${first.name} has ${first.header.cases ?? 'none'}`,
      );
  }
  const tally = new CampaignTally(first.header.seed);
  for (const f of files) for (const r of f.results) tally.add(r);
  const cases = first.header.cases;
  return {
    tally,
    // every case of the campaign: a shard whose file is missing shows as missing cases
    planned: cases === null ? undefined : { cases, shards: [WHOLE] },
  };
}
