import { errnoOf } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import type { CaseResult } from '../judge/judge-case.js';
import { formatHeader, formatResultLine, mergeResults, parseResults } from './results-file.js';
import { formatSummary, summarizeResults } from './summary.js';

const result = (index: number, failed = false): CaseResult => ({
  index,
  kind: index % 4 === 0 ? 'uapi' : 'migration',
  describe: `case ${index}`,
  steps: 5,
  verdict: index % 4 === 0 ? null : index % 3 === 0 ? 'aborted' : 'pass',
  outcome: null,
  errno: null,
  refused: 1,
  violations: failed ? [{ invariant: 'no-silent-loss', step: 4, detail: 'unattributed 3' }] : [],
  deterministic: index % 8 === 0 ? true : null,
});

/** A results file of the shard `i/n` of a 10-case campaign, `failing` cases failed. */
function shardFile(i: number, n: number, failing: readonly number[] = [], drop: readonly number[] = []) {
  let text = formatHeader(9, { index: i, count: n }, 10);
  for (let k = i - 1; k < 10; k += n)
    if (!drop.includes(k)) text += formatResultLine(result(k, failing.includes(k)));
  return `${text}{"type":"summary","cases":3}\n`;
}

describe('results files and their merge', () => {
  it('a file reads back as written; shards merged give the summary of the whole campaign', () => {
    const whole = parseResults('all.jsonl', shardFile(1, 1, [6]));
    expect(whole.header).toEqual({ type: 'campaign', format: 1, seed: 9, shard: '1/1', cases: 10 });
    expect(whole.results).toEqual(Array.from({ length: 10 }, (_, k) => result(k, k === 6)));
    const files = [3, 1, 2].map((i) => parseResults(`r-${i}.jsonl`, shardFile(i, 3, [6])));
    const merged = mergeResults(files);
    const one = mergeResults([whole]);
    expect(merged.tally.summary(merged.planned)).toEqual(one.tally.summary(one.planned));
    const s = merged.tally.summary(merged.planned);
    expect(s).toMatchObject({ cases: 10, passed: 9, failed: 1, migrations: 7, uapi: 3, missingCount: 0 });
    expect(s.verdicts).toEqual({ aborted: 3, pass: 4 });
    expect(s.failures).toEqual([
      { index: 6, describe: 'case 6', invariant: 'no-silent-loss', step: 4, detail: 'unattributed 3' },
    ]);
    expect(formatSummary(s)).toMatch(/^campaign 9: 10 cases \(7 migrations, 3 uAPI\), 9 passed, 1 failed\n/);
    expect(formatSummary(s)).toContain('FAIL 9:6 no-silent-loss at step 5: unattributed 3');
  });

  it('a case twice counts once; a shard missing or cut short shows as missing cases', () => {
    const dup = mergeResults([parseResults('a', shardFile(1, 2)), parseResults('b', shardFile(1, 2))]);
    // shard 2/2's file never came: its cases are missing
    expect(dup.tally.summary(dup.planned)).toMatchObject({
      cases: 5,
      missingCount: 5,
      missing: [1, 3, 5, 7, 9],
    });
    const cut = mergeResults([
      parseResults('a', shardFile(1, 2)),
      parseResults('b', shardFile(2, 2, [], [7])),
    ]);
    expect(cut.tally.summary(cut.planned)).toMatchObject({ cases: 9, missingCount: 1, missing: [7] });
    expect(summarizeResults(9, [result(1), result(1, true)]).failed).toBe(0);
  });

  it('files that are not results, or of another campaign: EINVAL with the file and line', () => {
    expect(() => parseResults('x.jsonl', 'nope\n')).toThrow(/EINVAL: x.jsonl:1: not a JSON line/);
    expect(() => parseResults('x.jsonl', '{"type":"case","index":1}\n')).toThrow(
      /x.jsonl:1: a case before the header/,
    );
    expect(() => parseResults('x.jsonl', '')).toThrow(/no campaign header/);
    const other = formatHeader(10, { index: 2, count: 2 }, 10);
    expect(errnoOf(() => mergeResults([parseResults('a', shardFile(1, 2)), parseResults('b', other)]))).toBe(
      'EINVAL',
    );
    expect(errnoOf(() => mergeResults([]))).toBe('EINVAL');
  });
});
