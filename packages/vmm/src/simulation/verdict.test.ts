import { describe, expect, it } from 'vitest';
import type { WorkloadTally } from '../workload/workload.js';
import { migrateVerdict, type VerdictInput } from './verdict.js';

const clean: WorkloadTally = {
  submitted: 4,
  submittedOnSource: 4,
  submittedOnDestination: 0,
  completedOnSource: 4,
  completedOnDestination: 0,
  verified: 4,
  lost: [],
  losses: [],
  unattributed: [],
  duplicated: [],
  corrupt: [],
  unknown: [],
};

const input = (jobs: Partial<WorkloadTally>, more: Partial<VerdictInput> = {}): VerdictInput => ({
  outcome: 'aborted',
  migration: null,
  proof: { jobs: { ...clean, ...jobs }, ram: null, uart: [] },
  refusedAfter: null,
  deviceErrors: 0,
  ...more,
});

const reset = {
  jobId: 4,
  side: 'source',
  cause: { kind: 'device-reset-by-vmm', detail: '', errno: null, atUs: 1, upstream: 'QEMU' },
} as const;

describe('migrateVerdict', () => {
  it('an abort with every job verified is clean', () => {
    expect(migrateVerdict(input({}))).toEqual({ kind: 'aborted', silent: [] });
  });

  it('losses with causes are attributed; a loss without one, a duplicate or a wrong output is silent', () => {
    expect(migrateVerdict(input({ verified: 3, lost: [4], losses: [reset] })).kind).toBe('attributed-loss');
    expect(migrateVerdict(input({ verified: 3, lost: [4], unattributed: [4] }))).toEqual({
      kind: 'silent',
      silent: ['jobs never completed, no cause: 4'],
    });
    expect(migrateVerdict(input({ verified: 3, duplicated: [2] })).silent).toEqual([
      'jobs completed twice: 2',
    ]);
    expect(migrateVerdict(input({ verified: 3, corrupt: [1] })).silent).toEqual([
      'jobs completed with status OK and a wrong output: 1',
    ]);
    // a bad status the hardware reported is an attributed loss, not a silent corruption
    expect(migrateVerdict(input({ verified: 3, corrupt: [4], losses: [reset] })).kind).toBe(
      'attributed-loss',
    );
  });

  it('jobs refused afterwards are attributed only if a device error was reported', () => {
    expect(migrateVerdict(input({}, { refusedAfter: 'EAGAIN', deviceErrors: 1 })).kind).toBe(
      'attributed-loss',
    );
    expect(migrateVerdict(input({}, { refusedAfter: 'EAGAIN' })).kind).toBe('silent');
  });

  it('a migrated guest needs identical RAM, bytes saved = loaded and the final device states', () => {
    const states = (s: string, d: string) => ({
      model: 'hisi-acc-vf',
      source: 's',
      destination: 'd',
      sourceStates: [{ step: 'x', state: 0, name: s }],
      destinationStates: [{ step: 'x', state: 0, name: d }],
      deviceBytesSaved: 1,
      deviceBytesLoaded: 1,
      streamBytes: 1,
      precopyIterations: 0,
    });
    const migration = (saved: number, loaded: number, s = 'STOP', d = 'RUNNING') =>
      ({ deviceBytesSaved: saved, deviceBytesLoaded: loaded, devices: [states(s, d)] }) as never;
    const ram = { pagesCompared: 3, mismatchedPages: [], identical: true };
    const ok = (m: never, r = ram) =>
      migrateVerdict({
        ...input({}),
        outcome: 'migrated',
        migration: m,
        proof: { jobs: clean, ram: r, uart: [] },
      });
    expect(ok(migration(176, 176)).kind).toBe('pass');
    expect(ok(migration(176, 40)).silent).toEqual(['device state: 176 bytes saved, 40 loaded']);
    expect(ok(migration(1, 1), { ...ram, mismatchedPages: [9] as never, identical: false }).silent).toEqual([
      'guest RAM differs at the switch-over',
    ]);
    expect(ok(migration(1, 1, 'STOP', 'ERROR')).silent).toEqual([
      'device 0: source ended in stop, destination in error',
    ]);
  });
});
