import { plantBug } from '@vfio-sim/vmm';
import { afterEach, describe, expect, it } from 'vitest';
import { runCampaign } from '../campaign/run-campaign.js';
import { failureScenario, reproduce } from './failure-scenario.js';
import { shrinkCase } from './shrink-case.js';

const BUG = 'drop-destination-completion';

describe('a planted bug: the campaign finds it, shrinks it, and writes a scenario that reproduces it', () => {
  afterEach(() => plantBug(undefined));

  it('found on worker threads, shrunk to ≤ 10 steps, replayed by the written scenario; without the bug the scenario passes', async () => {
    // the bug is planted through the campaign's option, in each worker thread
    const run = await runCampaign({ seed: 5, cases: 12, workers: 2, plantBug: BUG, determinismEvery: 0 });
    expect(run.workers).toBe(2);
    const failure = run.summary.failures[0];
    expect(failure?.invariant).toBe('no-silent-loss');
    expect(run.summary.failed).toBeGreaterThan(0);
    // the same cases without the bug: none fails
    const clean = await runCampaign({ seed: 5, cases: 12, workers: 0, determinismEvery: 0 });
    expect(clean.summary.failed).toBe(0);

    const shrunk = shrinkCase(5, failure!.index, { plantBug: BUG });
    expect(shrunk.invariant).toBe('no-silent-loss');
    expect(shrunk.run.steps.length).toBeLessThanOrEqual(10);
    expect(shrunk.run.steps.length).toBeLessThanOrEqual(shrunk.originalSteps);
    expect(shrunk.case.kind).toBe('migration');
    if (shrunk.case.kind === 'migration') {
      expect(shrunk.case.fault).toBeNull();
      expect(shrunk.case.hostile).toEqual([]);
    }

    const scenario = failureScenario(shrunk.run, { seed: 5, index: failure!.index });
    expect(scenario.text).toContain(`vfio-sim campaign --replay 5:${failure!.index}`);
    plantBug(BUG);
    const again = reproduce(scenario);
    expect(again.how).toMatch(/verdict want one of pass, aborted, attributed-loss, got silent/);
    expect(again.reproduced).toBe(true);
    plantBug(undefined);
    const fixed = reproduce(scenario);
    expect(fixed).toMatchObject({ reproduced: false, how: 'every expectation met' });
  }, 120_000);

  it('a case that breaks nothing cannot be shrunk: EINVAL', () => {
    expect(() => shrinkCase(5, 0)).toThrow(/EINVAL: case 5:0 breaks no invariant/);
  });
});
