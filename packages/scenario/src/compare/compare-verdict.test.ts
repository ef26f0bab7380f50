import { describe, expect, it } from 'vitest';
import type { Observation } from '../execute/observation.js';
import { compareStep } from './compare-step.js';

const ok = (got: Observation['got'] = {}): Observation => ({ errno: 'ok', message: undefined, got });
const loss = (jobId: number, kind: string) => ({ jobId, side: 'source', cause: { kind } });

describe('compareStep: the verdict and the jobs lost', () => {
  it('verdict: one verdict, or any of a list', () => {
    expect(compareStep({ errno: 'ok', verdict: ['pass'] }, ok({ verdict: 'pass' }))).toEqual([]);
    expect(compareStep({ errno: 'ok', verdict: ['pass'] }, ok({ verdict: 'silent' }))).toEqual([
      { field: 'verdict', want: 'pass', got: 'silent' },
    ]);
    const notSilent = ['pass', 'aborted', 'attributed-loss'] as const;
    expect(compareStep({ errno: 'ok', verdict: notSilent }, ok({ verdict: 'aborted' }))).toEqual([]);
    expect(compareStep({ errno: 'ok', verdict: notSilent }, ok({ verdict: 'silent' }))).toEqual([
      { field: 'verdict', want: 'one of pass, aborted, attributed-loss', got: 'silent' },
    ]);
  });

  it('jobs.unattributed: the ids, or how many', () => {
    const got = ok({ jobs: { submitted: 4, unattributed: [3] } });
    expect(compareStep({ errno: 'ok', jobs: { unattributed: [] } }, got)).toEqual([
      { field: 'jobs.unattributed', want: '[]', got: '[3]' },
    ]);
    expect(compareStep({ errno: 'ok', jobs: { unattributed: 1 } }, got)).toEqual([]);
  });

  it('jobs.losses: the total, or every cause kind that occurred with its jobs', () => {
    const got = ok({
      jobs: {
        losses: [loss(25, 'device-reset-by-vmm'), loss(26, 'device-reset-by-vmm'), loss(3, 'hardware-error')],
      },
    });
    expect(compareStep({ errno: 'ok', jobs: { losses: 3 } }, got)).toEqual([]);
    expect(compareStep({ errno: 'ok', jobs: { losses: 0 } }, got)).toEqual([
      { field: 'jobs.losses', want: '0 job(s)', got: '3 job(s)' },
    ]);
    expect(
      compareStep(
        { errno: 'ok', jobs: { losses: { 'device-reset-by-vmm': [25, 26], 'hardware-error': 1 } } },
        got,
      ),
    ).toEqual([]);
    // a kind that occurred but is not named, and a kind named that did not occur
    expect(
      compareStep(
        { errno: 'ok', jobs: { losses: { 'device-reset-by-vmm': [25], 'loaded-not-started': 1 } } },
        got,
      ),
    ).toEqual([
      { field: 'jobs.losses.device-reset-by-vmm', want: '[25]', got: '[25, 26]' },
      { field: 'jobs.losses.loaded-not-started', want: '1 job(s)', got: '[]' },
      { field: 'jobs.losses.hardware-error', want: 'none', got: '[3]' },
    ]);
    expect(compareStep({ errno: 'ok', jobs: { losses: {} } }, ok({ jobs: { losses: [] } }))).toEqual([]);
  });
});
