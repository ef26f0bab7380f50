import { errnoOf, VirtualClock } from '@vfio-sim/platform';
import { QM_QUE_ISO_CFG_V } from '@vfio-sim/qm-hw';
import { describe, expect, it } from 'vitest';
import { startJobStream } from '../guest/job-stream.js';
import { attachVf, probeGuestVfDriver } from '../guest/vf-passthrough.js';
import { Vm } from '../guest/vm.js';
import { ZipWorkload } from '../guest/zip-workload.js';
import { createHost } from '../host/host.js';
import { liveMigrateV1 } from './live-migration-v1.js';
import { openQemuV1Client } from './v1-region.js';

function scenario(kind: { dst?: 'zip' | 'sec' } = {}) {
  const clock = new VirtualClock();
  const src = createHost({ name: 'source', clock, kind: 'zip', numVfs: 2 });
  const dst = createHost({ name: 'destination', clock, kind: kind.dst ?? 'zip', numVfs: 2 });
  const vm = Vm.create({ name: 'guest', clock, memorySize: 64 << 20 });
  const vf = attachVf(vm, src);
  const driver = probeGuestVfDriver(vf);
  const workload = new ZipWorkload({ seed: 11 });
  workload.watch(driver, 'source');
  return { clock, src, dst, vm, vf, driver, workload };
}

/** Run the clock event by event until `n` jobs completed. */
function runUntilCompleted(clock: VirtualClock, workload: ZipWorkload, n: number): void {
  while (workload.completed < n) {
    const next = clock.nextEventTime();
    if (next === undefined) throw new Error('the clock went idle first');
    clock.runUntil(next);
  }
}

describe('liveMigrateV1', () => {
  it.each([
    ['pre-copy', true],
    ['whole RAM while stopped', false],
  ])(
    'moves a running ZIP workload with jobs in flight (%s): every job verified exactly once',
    (_, precopy) => {
      const { clock, dst, vm, vf, driver, workload } = scenario();
      workload.submit(driver, 'source', 20);
      runUntilCompleted(clock, workload, 5);
      // the guest keeps submitting while the migration runs: one job every 6 µs, at most 40
      const stream = startJobStream({ vm, driver, workload, side: 'source', periodUs: 6, limit: 40 });
      let inFlightAtStop = 0;
      const { driver: resumed, report } = liveMigrateV1({
        source: vf,
        destination: dst,
        precopy,
        beforeStop: () => {
          inFlightAtStop = workload.outstanding;
        },
        onGuestResumed: (d) => workload.watch(d, 'destination'),
      });
      clock.runUntilIdle();
      workload.submit(resumed, 'destination', 3);
      clock.runUntilIdle();

      const t = workload.tally();
      const total = 23 + stream.submitted;
      expect(inFlightAtStop).toBeGreaterThan(0);
      expect(t.submitted).toBe(total);
      expect(t.verified).toBe(total);
      expect([t.lost, t.duplicated, t.corrupt, t.unknown]).toEqual([[], [], [], []]);
      expect(t.completedOnSource).toBeGreaterThanOrEqual(5);
      expect(t.completedOnDestination).toBe(total - t.completedOnSource);
      expect(report.ram.mode).toBe(precopy ? 'precopy' : 'stop-and-copy');
      expect(report.ram.check.mismatchedPages).toEqual([]);
      expect(report.ram.check.pagesCompared).toBeGreaterThan(0);
      expect(t.completedOnDestination).toBeGreaterThanOrEqual(inFlightAtStop);

      expect(report.sourceStates.map((s) => s.name)).toEqual([
        'running',
        'pre-copy',
        ...Array<string>(report.precopyIterations).fill('pre-copy'),
        'stop-and-copy',
        'stop',
      ]);
      expect(report.destinationStates.map((s) => s.name)).toEqual(['running', 'resuming', 'running']);
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
      const sum = report.phases.reduce((a, p) => a + p.durationUs, 0);
      expect(sum).toBe(report.totalUs);
      expect(report.downtimeUs).toBeLessThanOrEqual(report.totalUs);
      expect(report.phases.find((p) => p.name === 'guest memory')!.guestMemoryBytes).toBe(
        report.guestMemory.bytes,
      );
      expect(report.phases.find((p) => p.name === 'pre-copy')!.guestMemoryBytes).toBe(
        report.ram.precopyBytes,
      );
    },
  );

  it('a destination with another accelerator rejects the state: the source runs on, nothing lost', () => {
    const { clock, dst, vm, vf, driver, workload, src } = scenario({ dst: 'sec' });
    workload.submit(driver, 'source', 6);
    const errno = errnoOf(() =>
      liveMigrateV1({ source: vf, destination: dst, onGuestResumed: () => expect.unreachable() }),
    );
    expect(errno).toBe('EINVAL');
    expect(vm.isRunning).toBe(true);
    expect(src.vfioDevice.paused).toBe(false);
    clock.runUntilIdle();
    workload.submit(driver, 'source', 2);
    clock.runUntilIdle();
    const t = workload.tally();
    expect(t.verified).toBe(8);
    expect(t.completedOnSource).toBe(8);
  });

  it('a destination that rejects the stopped state: cancelled, the source device and vCPUs run on', () => {
    const { clock, dst, vm, vf, driver, workload, src } = scenario();
    workload.submit(driver, 'source', 10);
    let pendingAtStop = -1;
    const errno = errnoOf(() =>
      liveMigrateV1({
        source: vf,
        destination: dst,
        beforeStop: () => {
          // The destination's PF turns queue isolation on: the saved state no longer matches.
          dst.device.pf.bar2.writel(QM_QUE_ISO_CFG_V, 1);
          pendingAtStop = workload.outstanding;
        },
        onGuestResumed: () => expect.unreachable(),
      }),
    );
    expect(errno).toBe('EINVAL');
    expect(pendingAtStop).toBeGreaterThan(0);
    expect(vm.isRunning).toBe(true);
    expect(vm.dirtyLog.isLogging).toBe(false); // dirty tracking stopped with the cancel
    expect(src.vfioDevice.paused).toBe(false);
    expect(src.vfioDevice.window.isMapped).toBe(false);
    expect(openQemuV1Client(src).deviceState()).toBe(1); // running
    clock.runUntilIdle();
    workload.submit(driver, 'source', 2);
    clock.runUntilIdle();
    const t = workload.tally();
    expect(t.verified).toBe(12);
    expect(t.completedOnSource).toBe(12);
  });
});
