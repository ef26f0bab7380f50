/**
 * Test scaffolding shared by the live-migration tests of both device protocols (not part of the
 * package API): a guest running a workload (ZIP by default) on a source host's VF with a destination host beside
 * it, a migration under load, and the checks every protocol's run must pass.
 */
import type { IoPgtableFormatName } from '@vfio-sim/iommufd';
import { errnoOf, VirtualClock } from '@vfio-sim/platform';
import { type GuestVfDriver, QM_QUE_ISO_CFG_V, type QmKind } from '@vfio-sim/qm-hw';
import { expect } from 'vitest';
import { hisiAccVfModel } from '../../devices/hisi-acc-vf.js';
import { realizeVfioPci } from '../../devices/vfio-pci-device.js';
import { createHost } from '../../host/host.js';
import { DEFAULT_IOMMU_FORMAT } from '../../host/host-iommu.js';
import type { LiveMigrationReport, LiveMigrationResult } from '../../report/migration-report.js';
import { Vm } from '../../vm/vm.js';
import { createAccelWorkload } from '../../workload/accel-workload.js';
import { startJobStream } from '../../workload/job-stream.js';
import type { Workload, WorkloadTally } from '../../workload/workload.js';
import type { LiveMigrationOptions } from '../live-migration-options.js';

/** What {@link migrationScenario} builds. */
export interface ScenarioOptions {
  /** The workload's seed. */
  readonly seed: number;
  /** The source's accelerator and the workload's jobs (default zip). */
  readonly kind?: QmKind;
  /** The destination's accelerator (default the source's). */
  readonly dst?: QmKind;
  /** Both hosts' IOMMU format (default the hosts' default). */
  readonly iommu?: IoPgtableFormatName;
  /**
   * Huge IOMMU leaves for the guest's RAM (default false here, unlike a VM's default): these scenarios
   * time jobs in flight against a pre-copy that converges, which needs DMA dirties reported per 4 KiB
   * page — with huge leaves a 64 MiB guest resends the populated pages of every dirty 2 MiB leaf each
   * round (see the huge-leaf tests).
   */
  readonly iommuHugePages?: boolean;
}

/**
 * Two hosts with two VFs each on one clock, a 64 MiB guest on the source with the source's VF 0 passed
 * through (`vf`) and its VF driver probed, and a workload of its accelerator's jobs watching it.
 */
export function migrationScenario(o: ScenarioOptions) {
  const clock = new VirtualClock();
  const iommu = o.iommu ?? DEFAULT_IOMMU_FORMAT;
  const kind = o.kind ?? 'zip';
  const src = createHost({ name: 'source', clock, kind, numVfs: 2, iommu });
  const dst = createHost({ name: 'destination', clock, kind: o.dst ?? kind, numVfs: 2, iommu });
  const vm = Vm.create({
    name: 'guest',
    host: src,
    memorySize: 64 << 20,
    iommuHugePages: o.iommuHugePages ?? false,
  });
  const vf = realizeVfioPci(vm, src.assignable[0]!);
  const driver = hisiAccVfModel.probeGuest(vf);
  const workload = createAccelWorkload(kind, o.seed);
  workload.watch(driver, 'source');
  return { clock, src, dst, vm, vf, driver, workload };
}

/** A scenario from {@link migrationScenario}. */
export type MigrationScenario = ReturnType<typeof migrationScenario>;

/** The guest's VF driver resumed on a migration's destination VM (its device 0). */
export function resumedDriver(vm: Vm): GuestVfDriver {
  return vm.devices[0]!.guest as GuestVfDriver;
}

/** Run the clock event by event until `n` jobs completed. */
export function runUntilCompleted(clock: VirtualClock, workload: Workload, n: number): void {
  while (workload.completed < n) {
    const next = clock.nextEventTime();
    if (next === undefined) throw new Error('the clock went idle first');
    clock.runUntil(next);
  }
}

/** The options of the migration {@link migrateUnderLoad} runs; the protocol's own go on top. */
export type UnderLoadOptions = Required<
  Pick<LiveMigrationOptions, 'source' | 'destination' | 'beforeStop' | 'onGuestResumed'>
>;

/** What a migration under load did. */
export interface UnderLoadRun<R extends LiveMigrationReport> {
  readonly report: R;
  readonly tally: WorkloadTally;
  /** Jobs submitted in all (20 + the stream's + the burst before the stop + 3 on the destination). */
  readonly total: number;
  /** Jobs outstanding just before the VM stopped. */
  readonly inFlightAtStop: number;
}

/**
 * A migration with jobs in flight: 20 jobs submitted, 5 of them completed, then a job stream (one
 * every 6 µs, at most `streamLimit`) while `migrate` runs, and `burstBeforeStop` more jobs submitted
 * just before the vCPUs stop (SEC and HPRE jobs are short — 5 µs + 1 µs per KiB of input — so their
 * backlog drains before pre-copy converges; the burst keeps jobs in flight at the stop); the workload watches the resumed driver,
 * which gets 3 more jobs after the migration, and the clock runs until idle.
 */
export function migrateUnderLoad<R extends LiveMigrationReport>(
  sc: MigrationScenario,
  streamLimit: number,
  migrate: (options: UnderLoadOptions) => LiveMigrationResult<R>,
  burstBeforeStop = 0,
): UnderLoadRun<R> {
  const { clock, dst, vm, driver, workload } = sc;
  workload.submit(driver, 'source', 20);
  runUntilCompleted(clock, workload, 5);
  // the guest keeps submitting while the migration runs
  const stream = startJobStream({ vm, driver, workload, side: 'source', periodUs: 6, limit: streamLimit });
  let inFlightAtStop = 0;
  const { destination, report } = migrate({
    source: vm,
    destination: dst,
    beforeStop: () => {
      workload.submit(driver, 'source', burstBeforeStop); // the vCPUs still run
      inFlightAtStop = workload.outstanding;
    },
    onGuestResumed: (d) => workload.watch(resumedDriver(d), 'destination'),
  });
  const resumed = resumedDriver(destination);
  clock.runUntilIdle();
  workload.submit(resumed, 'destination', 3);
  clock.runUntilIdle();
  return { report, tally: workload.tally(), total: 23 + stream.submitted + burstBeforeStop, inFlightAtStop };
}

/**
 * Every job verified exactly once (jobs were in flight at the stop, and those completed on the
 * destination), and the destination's RAM identical to the source's.
 */
export function expectEveryJobOnce(run: UnderLoadRun<LiveMigrationReport>): void {
  const { tally: t, total, inFlightAtStop, report } = run;
  expect(inFlightAtStop).toBeGreaterThan(0);
  expect(t.submitted).toBe(total);
  expect(t.verified).toBe(total);
  expect([t.lost, t.duplicated, t.corrupt, t.unknown]).toEqual([[], [], [], []]);
  expect(t.completedOnDestination).toBeGreaterThanOrEqual(inFlightAtStop);
  expect(report.ram.check.mismatchedPages).toEqual([]);
  expect(report.ram.check.pagesCompared).toBeGreaterThan(0);
}

/** The phases add up to the total time and the guest-memory phase moved the stopped RAM. */
export function expectPhasesAddUp(report: LiveMigrationReport): void {
  expect(report.phases.reduce((a, p) => a + p.durationUs, 0)).toBe(report.totalUs);
  expect(report.phases.find((p) => p.name === 'guest memory')!.guestMemoryBytes).toBe(
    report.guestMemory.bytes,
  );
}

/**
 * After a failed migration the guest goes on on the source: 2 more jobs, and all `verified` jobs
 * completed there.
 */
export function expectSourceRunsOn(sc: MigrationScenario, verified: number): void {
  const { clock, driver, workload } = sc;
  clock.runUntilIdle();
  workload.submit(driver, 'source', 2);
  clock.runUntilIdle();
  const t = workload.tally();
  expect(t.verified).toBe(verified);
  expect(t.completedOnSource).toBe(verified);
}

/** What {@link migrateRejectedAtStop} saw. */
export interface RejectedRun {
  /** The migration's errno (undefined if it did not fail). */
  readonly errno: string | undefined;
  /** Jobs outstanding just before the VM stopped (-1 if it never stopped). */
  readonly pendingAtStop: number;
}

/**
 * A migration the destination rejects at the stopped state: just before the VM stops the
 * destination's PF turns queue isolation on, so the device state no longer matches. The guest must
 * never resume on the destination.
 */
export function migrateRejectedAtStop(
  sc: MigrationScenario,
  migrate: (options: UnderLoadOptions) => unknown,
): RejectedRun {
  const { dst, vm, workload } = sc;
  let pendingAtStop = -1;
  const errno = errnoOf(() =>
    migrate({
      source: vm,
      destination: dst,
      beforeStop: () => {
        dst.device.pf.bar2.writel(QM_QUE_ISO_CFG_V, 1);
        pendingAtStop = workload.outstanding;
      },
      onGuestResumed: () => expect.unreachable(),
    }),
  );
  return { errno, pendingAtStop };
}

/**
 * After a cancelled migration: the source VM runs, dirty tracking stopped, its VF not paused; the
 * destination QEMU exited, so the destination's VFs are free again.
 */
export function expectSourceResumed(sc: MigrationScenario): void {
  expect(sc.vm.isRunning).toBe(true);
  expect(sc.vm.dirtyLog.isLogging).toBe(false);
  expect(sc.src.vfioDevice(0).paused).toBe(false);
  expect(sc.dst.assignable.map((d) => d.owner)).toEqual([undefined, undefined]);
}
