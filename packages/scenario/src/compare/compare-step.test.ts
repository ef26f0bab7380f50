import { describe, expect, it } from 'vitest';
import type { Observation } from '../execute/observation.js';
import { compareStep, runs } from './compare-step.js';

const ok = (got: Observation['got'] = {}): Observation => ({ errno: 'ok', message: undefined, got });

describe('compareStep', () => {
  it('judges errno always (default ok) and the message by substring', () => {
    expect(compareStep({ errno: 'ok' }, ok())).toEqual([]);
    expect(compareStep({ errno: 'ok' }, { errno: 'EINVAL', message: 'EINVAL: bad', got: {} })).toEqual([
      { field: 'errno', want: 'ok', got: 'EINVAL (EINVAL: bad)' },
    ]);
    expect(compareStep({ errno: 'EIO' }, ok())).toEqual([{ field: 'errno', want: 'EIO', got: 'ok' }]);
    expect(
      compareStep(
        { errno: 'EIO', message: 'mailbox' },
        { errno: 'EIO', message: 'EIO: mailbox busy', got: {} },
      ),
    ).toEqual([]);
    expect(
      compareStep({ errno: 'EIO', message: 'stuck' }, { errno: 'EIO', message: 'EIO: mailbox', got: {} }),
    ).toEqual([{ field: 'message', want: '… stuck …', got: 'EIO: mailbox' }]);
  });

  it('shows states by name, values in hex, bytes in hex, bitmaps as runs', () => {
    expect(compareStep({ errno: 'ok', state: 1 }, ok({ state: 2 }))).toEqual([
      { field: 'state', want: 'STOP', got: 'RUNNING' },
    ]);
    expect(compareStep({ errno: 'ok', state: 1 }, ok({ state: 'EBADF' }))).toEqual([
      { field: 'state', want: 'STOP', got: 'EBADF' },
    ]);
    expect(compareStep({ errno: 'ok', v1State: 3 }, ok({ v1State: 3 | 8 }))).toEqual([]);
    expect(compareStep({ errno: 'ok', v1State: 2 }, ok({ v1State: 3 }))).toEqual([
      { field: 'v1-state', want: 'stop-and-copy', got: 'pre-copy' },
    ]);
    expect(compareStep({ errno: 'ok', value: 0x8000 }, ok({ value: 0x10000 }))).toEqual([
      { field: 'value', want: '0x8000', got: '0x10000' },
    ]);
    expect(
      compareStep({ errno: 'ok', data: Uint8Array.of(1, 2) }, ok({ data: Uint8Array.of(1, 3) })),
    ).toEqual([{ field: 'data', want: '0102', got: '0103' }]);
    expect(compareStep({ errno: 'ok', bitmap: [0, 1, 2, 7] }, ok({ bitmap: [0, 1, 2, 7] }))).toEqual([]);
    expect(compareStep({ errno: 'ok', bitmap: [0, 1, 2, 7] }, ok({ bitmap: [1, 2] }))).toEqual([
      { field: 'bitmap', want: '[0-2, 7]', got: '[1-2]' },
    ]);
    expect(compareStep({ errno: 'ok', bytes: 40 }, ok({}))).toEqual([
      { field: 'bytes', want: '40', got: 'none' },
    ]);
    expect(compareStep({ errno: 'ok', unchanged: true }, ok({ unchanged: 'x v2State: 2 → 1' }))).toEqual([
      { field: 'unchanged', want: 'nothing changed', got: 'x v2State: 2 → 1' },
    ]);
  });

  it('judges a migration: error, jobs (all, lists, counts), states', () => {
    const got = {
      error: { errno: 'EIO', phase: 'stop', message: 'EIO: mailbox' },
      jobs: { submitted: 10, verified: 8, lost: [9, 10], duplicated: [] },
      sourceStates: ['RUNNING', 'STOP'],
    };
    expect(compareStep({ errno: 'ok', error: { errno: 'EIO', phase: 'stop' } }, ok(got))).toEqual([]);
    expect(compareStep({ errno: 'ok', error: 'none' }, ok(got))).toEqual([
      { field: 'error', want: 'none', got: 'EIO in stop (EIO: mailbox)' },
    ]);
    expect(compareStep({ errno: 'ok', error: { errno: 'EIO', phase: 'resume' } }, ok(got))).toHaveLength(1);
    expect(compareStep({ errno: 'ok', jobs: { verified: 'all', lost: [], duplicated: 0 } }, ok(got))).toEqual(
      [
        { field: 'jobs.verified', want: 'all (10)', got: '8' },
        { field: 'jobs.lost', want: '[]', got: '[9, 10]' },
      ],
    );
    expect(compareStep({ errno: 'ok', jobs: { lost: 2, submitted: 10 } }, ok(got))).toEqual([]);
    expect(compareStep({ errno: 'ok', sourceStates: ['RUNNING'] }, ok(got))).toEqual([
      { field: 'source-states', want: '[RUNNING]', got: '[RUNNING, STOP]' },
    ]);
  });

  it('runs() writes set bits the way a scenario does', () => {
    expect(runs([])).toBe('[]');
    expect(runs([3, 16, 17, 18, 40])).toBe('[3, 16-18, 40]');
  });
});
