import { describe, expect, it } from 'vitest';
import type { CaseResult } from '../judge/judge-case.js';
import { type CampaignProgress, runCampaign } from './run-campaign.js';

describe('runCampaign', () => {
  it('the same results, in index order, inline and on two worker threads; shards add up to the whole', async () => {
    const inline = await runCampaign({ seed: 11, cases: 16, workers: 0, determinismEvery: 8 });
    const seen: CaseResult[] = [];
    const progress: CampaignProgress[] = [];
    const threads = await runCampaign({
      seed: 11,
      cases: 16,
      workers: 2,
      batchSize: 3,
      determinismEvery: 8,
      onResult: (r) => seen.push(r),
      onProgress: (p) => progress.push(p),
    });
    expect(threads.workers).toBe(2);
    expect(threads.results).toEqual(inline.results);
    expect(seen.map((r) => r.index)).toEqual(Array.from({ length: 16 }, (_, i) => i));
    expect(threads.summary).toEqual(inline.summary);
    expect(inline.summary).toMatchObject({ cases: 16, failed: 0, determinismChecked: 2, missingCount: 0 });
    expect(progress.at(-1)).toMatchObject({ done: 16, total: 16, failed: 0 });
    expect(progress.map((p) => p.done)).toEqual([...progress.map((p) => p.done)].sort((a, b) => a - b));

    const shards = await Promise.all(
      [1, 2, 3].map((index) =>
        runCampaign({ seed: 11, cases: 16, workers: 0, determinismEvery: 8, shard: { index, count: 3 } }),
      ),
    );
    expect(shards.map((s) => s.summary.cases)).toEqual([6, 5, 5]);
    const merged = shards.flatMap((s) => s.results).sort((a, b) => a.index - b.index);
    expect(merged).toEqual(inline.results);
  }, 120_000);

  it('bounded by time: cases from index 0 until the clock says stop', async () => {
    let t = 0;
    const run = await runCampaign({ seed: 11, timeMs: 3, workers: 0, batchSize: 1, now: () => t++ });
    expect(run.results.map((r) => r.index)).toEqual([0, 1]);
    expect(run.summary.missingCount).toBe(0);
  });

  it('bad options are EINVAL before anything runs', async () => {
    for (const bad of [
      { seed: 1 },
      { seed: 1, cases: 2, timeMs: 3 },
      { seed: -1, cases: 1 },
      { seed: 1, cases: 1, workers: -1 },
      { seed: 1, cases: 1.5 },
    ])
      await expect(runCampaign(bad)).rejects.toThrow(/^EINVAL/);
  });
});
