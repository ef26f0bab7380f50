import { errnoOf } from '@vfio-sim/platform';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatShard, inShard, nextInShard, parseShard, shardFromCompletionIndex } from './shard.js';

describe('shards', () => {
  it('i/n is 1-based, as vitest --shard; anything else is EINVAL', () => {
    expect(parseShard('1/4')).toEqual({ index: 1, count: 4 });
    expect(formatShard(parseShard(' 4/4 '))).toBe('4/4');
    for (const bad of ['0/4', '5/4', '1/0', '1', 'a/b', '-1/2', '1/4/2', ''])
      expect(errnoOf(() => parseShard(bad))).toBe('EINVAL');
  });

  it('the shards of n partition the case indexes; nextInShard finds each shard’s next index', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 10_000 }), (n, i) => {
        const owners = Array.from({ length: n }, (_, k) => ({ index: k + 1, count: n })).filter((s) =>
          inShard(i, s),
        );
        expect(owners).toHaveLength(1);
        const s = owners[0]!;
        expect(nextInShard(i, s)).toBe(i);
        const other = { index: (s.index % n) + 1, count: n };
        const next = nextInShard(i, other);
        expect(inShard(next, other)).toBe(true);
        expect(next - i).toBeLessThan(n);
      }),
      { seed: 3, numRuns: 200 },
    );
  });

  it("a Kubernetes Indexed Job's pod: JOB_COMPLETION_INDEX (0-based) of the completions", () => {
    expect(shardFromCompletionIndex({ JOB_COMPLETION_INDEX: '0' }, 8)).toEqual({ index: 1, count: 8 });
    expect(shardFromCompletionIndex({ JOB_COMPLETION_INDEX: '7' }, 8)).toEqual({ index: 8, count: 8 });
    for (const env of [
      {},
      { JOB_COMPLETION_INDEX: '8' },
      { JOB_COMPLETION_INDEX: '' },
      { JOB_COMPLETION_INDEX: 'x' },
    ])
      expect(errnoOf(() => shardFromCompletionIndex(env, 8))).toBe('EINVAL');
  });
});
