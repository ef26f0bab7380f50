import { errnoOf } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { startJobStream } from '../workload/job-stream.js';
import {
  expectEveryJobOnce,
  expectPhasesAddUp,
  expectSourceResumed,
  expectSourceRunsOn,
  migrateRejectedAtStop,
  migrateUnderLoad,
  migrationScenario,
} from './__fixtures__/migration-scenario.js';
import { liveMigrateV1 } from './live-migration-v1.js';
import { openQemuV1Client } from './vfio/v1-region.js';

const scenario = (o: { dst?: 'zip' | 'sec' } = {}) => migrationScenario({ seed: 11, ...o });

describe('liveMigrateV1', () => {
  it.each([
    ['pre-copy', true],
    ['whole RAM while stopped', false],
  ])(
    'moves a running ZIP workload with jobs in flight (%s): every job verified exactly once',
    (_, precopy) => {
      // 4 more jobs just before the stop: the stream's 40 may all be done by then
      const run = migrateUnderLoad(scenario(), 40, (o) => liveMigrateV1({ ...o, precopy }), 4);
      const { report, tally: t, total } = run;
      expectEveryJobOnce(run);
      expect(t.completedOnSource).toBeGreaterThanOrEqual(5);
      expect(t.completedOnDestination).toBe(total - t.completedOnSource);
      expect(report.ram.mode).toBe(precopy ? 'precopy' : 'stop-and-copy');

      const [dev] = report.devices;
      expect(report.devices).toHaveLength(1);
      expect(dev!.sourceStates.map((s) => s.name)).toEqual([
        'running',
        'pre-copy',
        ...Array<string>(report.precopyIterations).fill('pre-copy'),
        'stop-and-copy',
        'stop',
      ]);
      expect(dev!.destinationStates.map((s) => s.name)).toEqual(['running', 'resuming', 'running']);
      expect(report.deviceBytesSaved).toBeGreaterThan(0);
      expect(report.deviceBytesLoaded).toBe(report.deviceBytesSaved);
      expect(report.streamBytes).toBeGreaterThan(report.deviceBytesSaved);
      expect(report.guestMemory.bytes).toBe(report.guestMemory.pages * 4096);
      expect(report.phases.map((p) => p.name)).toEqual([
        'setup',
        'pre-copy',
        'stop',
        'stop-and-copy',
        'guest memory',
        'resume',
      ]);
      expectPhasesAddUp(report);
      expect(report.downtimeUs).toBeLessThanOrEqual(report.totalUs);
      expect(report.phases.find((p) => p.name === 'pre-copy')!.guestMemoryBytes).toBe(
        report.ram.precopyBytes,
      );
    },
  );

  it.each(['sec', 'hpre'] as const)(
    'moves a running %s workload with jobs in flight: exactly once, outputs verified, RAM identical',
    (kind) => {
      const run = migrateUnderLoad(migrationScenario({ seed: 11, kind }), 40, (o) => liveMigrateV1(o), 4);
      expectEveryJobOnce(run); // each output checked against node:crypto / bigint arithmetic
      expect(run.tally.completedOnDestination).toBe(run.total - run.tally.completedOnSource);
      expect(run.report.devices[0]!.destinationStates.map((s) => s.name)).toEqual([
        'running',
        'resuming',
        'running',
      ]);
      expect(run.report.deviceBytesLoaded).toBe(run.report.deviceBytesSaved);
      expectPhasesAddUp(run.report);
    },
  );

  it('a destination with another accelerator rejects the state: the source runs on, nothing lost', () => {
    const sc = scenario({ dst: 'sec' });
    const { dst, vm, driver, workload } = sc;
    workload.submit(driver, 'source', 6);
    const errno = errnoOf(() =>
      liveMigrateV1({ source: vm, destination: dst, onGuestResumed: () => expect.unreachable() }),
    );
    expect(errno).toBe('EINVAL');
    expectSourceResumed(sc);
    expectSourceRunsOn(sc, 8);
  });

  it('a destination that rejects the stopped state: cancelled, the source device and vCPUs run on', () => {
    const sc = scenario();
    const { vm, driver, workload } = sc;
    workload.submit(driver, 'source', 10);
    // Jobs keep coming while the migration runs, so some are pending at the stop.
    const stream = startJobStream({ vm, driver, workload, side: 'source', periodUs: 6, limit: 80 });
    const { errno, pendingAtStop } = migrateRejectedAtStop(sc, (o) => liveMigrateV1(o));
    expect(errno).toBe('EINVAL');
    expect(pendingAtStop).toBeGreaterThan(0);
    expectSourceResumed(sc); // dirty tracking stopped with the cancel
    expect(sc.src.vfioDevice(0).window.isMapped).toBe(false);
    expect(openQemuV1Client(sc.vf).deviceState()).toBe(1); // running
    expectSourceRunsOn(sc, 12 + stream.submitted);
  });
});
