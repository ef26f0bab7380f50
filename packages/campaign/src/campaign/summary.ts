import type { InvariantName } from '../judge/invariants.js';
import type { CaseResult } from '../judge/judge-case.js';
import { inShard, type Shard } from './shard.js';

/** A failed case in a summary: its first broken invariant. */
export interface CampaignFailure {
  readonly index: number;
  readonly describe: string;
  readonly invariant: InvariantName;
  readonly step: number;
  readonly detail: string;
}

/** What a campaign (or a merge of shards) came to: counts and every failure, nothing timed. */
export interface CampaignSummary {
  readonly seed: number;
  readonly cases: number;
  readonly passed: number;
  readonly failed: number;
  readonly migrations: number;
  readonly uapi: number;
  /** Migrations by verdict. */
  readonly verdicts: Readonly<Record<string, number>>;
  /** Hostile requests refused with an errno (each leaving everything as it was, or in ERROR). */
  readonly refused: number;
  /** Cases run twice for the determinism check. */
  readonly determinismChecked: number;
  /** Broken invariants by name (a case may break several). */
  readonly violations: Readonly<Partial<Record<InvariantName, number>>>;
  /** Every failed case, by index. */
  readonly failures: readonly CampaignFailure[];
  /** Case indexes planned but without a result (a shard that did not finish): how many, and the first 100. */
  readonly missingCount: number;
  readonly missing: readonly number[];
}

/** The cases a campaign planned: indexes 0 .. cases − 1 of these shards. */
export interface PlannedCases {
  readonly cases: number;
  readonly shards: readonly Shard[];
}

/**
 * A campaign's counts, case by case, in any order — a case index counted once (merged shards may
 * overlap). Keeps the failures and one bit per index seen, not the results, so shards of a campaign of
 * 10⁸ cases merge in a few megabytes.
 */
export class CampaignTally {
  private seen = new Uint8Array(1024);
  private cases = 0;
  private migrations = 0;
  private refused = 0;
  private determinismChecked = 0;
  private readonly verdicts: Record<string, number> = {};
  private readonly violations: Partial<Record<InvariantName, number>> = {};
  private readonly failures: CampaignFailure[] = [];

  constructor(readonly seed: number) {}

  /** Count one result (ignored if its index was counted already). */
  add(r: CaseResult): void {
    if (this.has(r.index)) return;
    this.mark(r.index);
    this.cases++;
    if (r.kind === 'migration') this.migrations++;
    if (r.verdict !== null) this.verdicts[r.verdict] = (this.verdicts[r.verdict] ?? 0) + 1;
    this.refused += r.refused;
    if (r.deterministic !== null) this.determinismChecked++;
    for (const v of r.violations) this.violations[v.invariant] = (this.violations[v.invariant] ?? 0) + 1;
    const first = r.violations[0];
    if (first !== undefined)
      this.failures.push({
        index: r.index,
        describe: r.describe,
        invariant: first.invariant,
        step: first.step,
        detail: first.detail,
      });
  }

  /** The summary; with `planned`, the planned cases without a result are `missing`. */
  summary(planned?: PlannedCases): CampaignSummary {
    const missing: number[] = [];
    let missingCount = 0;
    if (planned !== undefined)
      for (let i = 0; i < planned.cases; i++)
        if (planned.shards.some((s) => inShard(i, s)) && !this.has(i)) {
          missingCount++;
          if (missing.length < 100) missing.push(i);
        }
    const failures = [...this.failures].sort((a, b) => a.index - b.index);
    return {
      seed: this.seed,
      cases: this.cases,
      passed: this.cases - failures.length,
      failed: failures.length,
      migrations: this.migrations,
      uapi: this.cases - this.migrations,
      verdicts: sortKeys(this.verdicts),
      refused: this.refused,
      determinismChecked: this.determinismChecked,
      violations: sortKeys(this.violations),
      failures,
      missingCount,
      missing,
    };
  }

  private has(i: number): boolean {
    const byte = i >>> 3;
    return byte < this.seen.length && ((this.seen[byte] as number) & (1 << (i & 7))) !== 0;
  }

  private mark(i: number): void {
    const byte = Math.floor(i / 8);
    if (byte >= this.seen.length) {
      const grown = new Uint8Array(Math.max(byte + 1, this.seen.length * 2));
      grown.set(this.seen);
      this.seen = grown;
    }
    this.seen[byte] = (this.seen[byte] as number) | (1 << (i & 7));
  }
}

/** {@link CampaignTally} over a list of results. */
export function summarizeResults(
  seed: number,
  results: Iterable<CaseResult>,
  planned?: PlannedCases,
): CampaignSummary {
  const tally = new CampaignTally(seed);
  for (const r of results) tally.add(r);
  return tally.summary(planned);
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

/** A summary as text: one line of counts, the verdicts, then one line per failure (the first 20). */
export function formatSummary(s: CampaignSummary): string {
  const verdicts =
    Object.entries(s.verdicts)
      .map(([k, n]) => `${n} ${k}`)
      .join(', ') || 'none';
  const lines = [
    `campaign ${s.seed}: ${s.cases} cases (${s.migrations} migrations, ${s.uapi} uAPI), ${s.passed} passed, ${s.failed} failed`,
    `  verdicts: ${verdicts}; ${s.refused} hostile requests refused with an errno; determinism checked on ${s.determinismChecked}`,
  ];
  if (s.missingCount > 0)
    lines.push(
      `  missing: ${s.missingCount} case(s) without a result (first ${s.missing.slice(0, 10).join(', ')})`,
    );
  for (const f of s.failures.slice(0, 20))
    lines.push(
      `  FAIL ${s.seed}:${f.index} ${f.invariant} at step ${f.step + 1}: ${f.detail} — ${f.describe}`,
    );
  if (s.failures.length > 20) lines.push(`  … ${s.failures.length - 20} more`);
  return `${lines.join('\n')}\n`;
}
