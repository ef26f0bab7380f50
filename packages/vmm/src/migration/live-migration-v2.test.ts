import type { IoPgtableFormatName } from '@vfio-sim/iommufd';
import { VFIO_DEVICE_STATE_RUNNING as RUNNING } from '@vfio-sim/migration-v2';
import { errnoOf, KernelError, VirtualClock } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { hisiAccVfModel } from '../devices/hisi-acc-vf.js';
import { realizeVfioPci } from '../devices/vfio-pci-device.js';
import { createHost } from '../host/host.js';
import { Vm } from '../vm/vm.js';
import { startJobStream } from '../workload/job-stream.js';
import { ZipWorkload } from '../workload/zip-workload.js';
import {
  expectEveryJobOnce,
  expectPhasesAddUp,
  expectSourceResumed,
  expectSourceRunsOn,
  migrateRejectedAtStop,
  migrateUnderLoad,
  migrationScenario,
  resumedDriver,
} from './__fixtures__/migration-scenario.js';
import { liveMigrateV2 } from './live-migration-v2.js';

const scenario = (o: { dst?: 'zip' | 'sec'; iommu?: IoPgtableFormatName } = {}) =>
  migrationScenario({ seed: 13, ...o });

describe('liveMigrateV2', () => {
  it.each([
    ['amd-v1', true],
    ['arm-smmuv3-s1', true],
    ['vtd-ss', false],
  ] as const)(
    'moves a running ZIP workload with jobs in flight over %s (RAM pre-copy %s): exactly once, RAM identical',
    (iommu, precopy) => {
      const run = migrateUnderLoad(scenario({ iommu }), 80, (o) => liveMigrateV2({ ...o, precopy }));
      const { report } = run;
      expectEveryJobOnce(run);
      expect(report.ram.mode).toBe(precopy ? 'precopy' : 'stop-and-copy');
      expect(report.ram.iommuFormat).toBe(iommu);
      if (precopy) {
        expect(report.ram.converged).toBe(true);
        expect(report.ram.rounds.length).toBeGreaterThan(1);
        expect(report.ram.rounds.at(-1)!.dmaDirtyPages).toBeGreaterThan(0);
      }

      expect(report.protocol).toBe('v2');
      expect(report.devices).toHaveLength(1);
      const [dev] = report.devices;
      expect(dev).toMatchObject({
        model: 'hisi-acc-vf',
        source: '0000:75:00.1',
        destination: '0000:75:00.1',
      });
      expect(dev!.precopyIterations).toBe(report.precopyIterations);
      expect(dev!.sourceStates.map((s) => s.name)).toEqual([
        'RUNNING',
        'PRE_COPY',
        ...Array<string>(report.precopyIterations).fill('PRE_COPY'),
        'STOP_COPY',
        'STOP_COPY',
        'STOP',
      ]);
      expect(dev!.destinationStates.map((s) => s.name)).toEqual([
        'RUNNING',
        'RESUMING',
        'RESUMING',
        'RUNNING',
      ]);
      expect(report.destinationStartPath).toEqual(['RESUMING', 'STOP', 'RUNNING']);
      // hisi_acc: the 40-byte match data in PRE_COPY, the rest of the 176-byte state at STOP_COPY
      expect(report.stopCopySize).toBe(176);
      expect(report.deviceBytesSaved).toBe(176);
      expect(report.deviceBytesLoaded).toBe(176);
      expect(report.phases.find((p) => p.name === 'pre-copy')!.deviceBytes).toBe(40);
      expect(report.phases.find((p) => p.name === 'stop-and-copy')!.deviceBytes).toBe(136);
      expect(report.switchoverAck).toBe(true);
      const stop = report.phases.find((p) => p.name === 'stop')!;
      expect(report.switchoverApprovedUs).not.toBeNull();
      expect(report.switchoverApprovedUs!).toBeLessThanOrEqual(stop.startUs);
      expect(report.lastPending!.expectedDowntimeUs).toBeLessThanOrEqual(report.ram.downtimeLimitUs);

      expect(report.phases.map((p) => p.name)).toEqual([
        'setup',
        'pre-copy',
        'stop',
        'stop-and-copy',
        'guest memory',
        'resume',
        'cleanup',
      ]);
      expectPhasesAddUp(report);
      expect(report.downtimeUs).toBeLessThan(report.totalUs);
    },
  );

  it.each(['sec', 'hpre'] as const)(
    'moves a running %s workload with jobs in flight: exactly once, outputs verified, RAM identical',
    (kind) => {
      const run = migrateUnderLoad(migrationScenario({ seed: 13, kind }), 80, (o) => liveMigrateV2(o), 4);
      expectEveryJobOnce(run); // each output checked against node:crypto / bigint arithmetic
      expect(run.tally.completedOnDestination).toBe(run.total - run.tally.completedOnSource);
      expect(run.report.protocol).toBe('v2');
      expect(run.report.ram.converged).toBe(true);
      expect(run.report.destinationStartPath).toEqual(['RESUMING', 'STOP', 'RUNNING']);
      expect(run.report.deviceBytesLoaded).toBe(run.report.deviceBytesSaved);
      expectPhasesAddUp(run.report);
    },
  );

  it('is deterministic: the same scenario gives the same report', () => {
    const run = () => {
      const { clock, dst, vm, driver, workload } = scenario();
      workload.submit(driver, 'source', 12);
      startJobStream({ vm, driver, workload, side: 'source', periodUs: 20, limit: 30 });
      const { report } = liveMigrateV2({ source: vm, destination: dst });
      clock.runUntilIdle();
      return JSON.stringify(report);
    };
    expect(run()).toBe(run());
  });

  it('an incompatible destination fails the match data in pre-copy (EFAULT): the guest never stops', () => {
    const sc = scenario({ dst: 'sec' });
    const { dst, vm, vf, driver, workload } = sc;
    workload.submit(driver, 'source', 6);
    let stopped = false;
    let error: unknown;
    try {
      liveMigrateV2({
        source: vm,
        destination: dst,
        beforeStop: () => {
          stopped = true;
        },
        onGuestResumed: () => expect.unreachable(),
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KernelError);
    expect((error as KernelError).errno).toBe('EFAULT'); // the resume write's check
    expect(stopped).toBe(false);
    expectSourceResumed(sc);
    expect(vf.handle.getMigState()).toBe(RUNNING); // PRE_COPY → RUNNING by the failure notifier
    // The destination QEMU exited: closing the device fd ended RESUMING; a new open starts in RUNNING.
    const again = realizeVfioPci(
      Vm.incoming({ name: 'again', host: dst, memorySize: 4096 }),
      dst.assignable[0]!,
    );
    expect(again.handle.getMigState()).toBe(RUNNING);
    expectSourceRunsOn(sc, 8);
  });

  it('a destination that rejects the stopped state (EFAULT at stop-copy): cancelled, the source VF and vCPUs run on', () => {
    const sc = scenario();
    const { vm, driver, workload } = sc;
    workload.submit(driver, 'source', 10);
    const stream = startJobStream({ vm, driver, workload, side: 'source', periodUs: 6, limit: 80 });
    const { errno, pendingAtStop } = migrateRejectedAtStop(sc, (o) => liveMigrateV2(o));
    expect(errno).toBe('EFAULT');
    expect(pendingAtStop).toBeGreaterThan(0);
    expectSourceResumed(sc);
    expect(sc.vf.handle.getMigState()).toBe(RUNNING); // STOP_COPY → RUNNING: the VF restarted
    expectSourceRunsOn(sc, 12 + stream.submitted);
  });

  it('an IOMMU without dirty tracking blocks RAM pre-copy (EOPNOTSUPP, nothing touched); device pre-copy + whole RAM works', () => {
    const clock = new VirtualClock();
    const src = createHost({ name: 'source', clock, kind: 'zip', numVfs: 1, iommuDirtyTracking: false });
    const dst = createHost({ name: 'destination', clock, kind: 'zip', numVfs: 1 });
    const vm = Vm.create({ name: 'guest', host: src, memorySize: 8 << 20 });
    const vf = realizeVfioPci(vm, src.assignable[0]!);
    const driver = hisiAccVfModel.probeGuest(vf);
    const workload = new ZipWorkload({ seed: 2 });
    workload.watch(driver, 'source');
    workload.submit(driver, 'source', 4);
    const t = clock.now();
    expect(errnoOf(() => liveMigrateV2({ source: vm, destination: dst }))).toBe('EOPNOTSUPP');
    expect(clock.now()).toBe(t);
    expect(vm.isRunning).toBe(true);
    expect(vf.handle.getMigState()).toBe(RUNNING);
    expect(dst.assignable[0]!.owner).toBeUndefined(); // no incoming VM was started
    const { report } = liveMigrateV2({
      source: vm,
      destination: dst,
      precopy: false,
      onGuestResumed: (d) => workload.watch(resumedDriver(d), 'destination'),
    });
    clock.runUntilIdle();
    expect(report.ram.mode).toBe('stop-and-copy');
    expect(report.precopyIterations).toBe(1); // the match data, then converged: only MIG_DATA_SIZE left
    expect(report.ram.check.mismatchedPages).toEqual([]);
    expect(workload.tally().verified).toBe(4);
  });

  it('without switchover-ack no INIT_DATA_SENT travels and nothing waits for an approval', () => {
    const { clock, dst, vm, driver, workload } = scenario();
    workload.submit(driver, 'source', 4);
    const { report } = liveMigrateV2({
      source: vm,
      destination: dst,
      switchoverAck: false,
      onGuestResumed: (d) => workload.watch(resumedDriver(d), 'destination'),
    });
    clock.runUntilIdle();
    expect(report.switchoverAck).toBe(false);
    expect(report.switchoverApprovedUs).toBeNull();
    expect(report.devices[0]!.destinationStates.at(-1)!.name).toBe('RUNNING');
    expect(workload.tally().verified).toBe(4);
  });

  it('refuses bad RAM options before touching anything (EINVAL)', () => {
    const { vm, vf, dst } = scenario();
    expect(errnoOf(() => liveMigrateV2({ source: vm, destination: dst, ram: { maxRounds: 0 } }))).toBe(
      'EINVAL',
    );
    expect(vm.isRunning).toBe(true);
    expect(vf.handle.getMigState()).toBe(RUNNING);
    expect(dst.assignable.map((d) => d.owner)).toEqual([undefined, undefined]);
  });
});
