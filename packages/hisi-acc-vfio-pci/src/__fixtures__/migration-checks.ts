import { errnoOf } from '@vfio-sim/platform';
import { QM_SQE_STATUS_OK, type QmFault, type QmFunction } from '@vfio-sim/qm-hw';
import { expect } from 'vitest';
import {
  expectedDeflate,
  type Host,
  type HostOptions,
  makeHost,
  migrationPair,
  type Vm,
  ZIP_DEFLATE,
  zipInputs,
} from './testbed.js';

/*
 * The checks the v1 and v2 migration tests share. Each protocol's test file keeps only what differs by
 * protocol: how it drives the migration and the protocol's own state assertions.
 */

/** A source with a running guest and a destination host (see `migrationPair` of the testbed). */
export type MigrationPair = ReturnType<typeof migrationPair>;

/** The function a fault is injected into: the VF itself or its PF. */
export type FaultTarget = 'vf' | 'pf';

/**
 * The faults of the stop path (PAUSE_QM, interrupt check, cache write-back) and the kernel errnos each
 * one may surface as, the same for both protocols: [step, target, fault, errnos].
 */
export const FAULTS_AT_STOP: readonly [
  step: string,
  target: FaultTarget,
  fault: QmFault,
  errnos: readonly string[],
][] = [
  ['PAUSE_QM: mailbox stuck busy', 'vf', { kind: 'mb-stuck-busy' }, ['EBUSY', 'ETIMEDOUT']],
  ['PAUSE_QM: mailbox error status', 'vf', { kind: 'mb-error' }, ['EIO']],
  ['interrupt check: RAS pending on the PF', 'pf', { kind: 'ras-pending' }, ['EBUSY']],
  ['interrupt check: IFC pending on the VF', 'vf', { kind: 'ifc-pending' }, ['EBUSY']],
  ['interrupt check: engine busy', 'vf', { kind: 'engine-busy' }, ['EBUSY']],
  ['cache write-back never completes', 'vf', { kind: 'cache-wb-stuck' }, ['ETIMEDOUT']],
];

/** The hardware function of `h` that `target` names. */
export function faultTarget(h: Host, target: FaultTarget): QmFunction {
  return target === 'vf' ? h.vfHw : h.device.pf;
}

/** Destination hosts whose VF cannot take the source's state (resume must refuse them). */
export const MISMATCHED_DESTINATIONS: readonly [what: string, dst: HostOptions][] = [
  ['a SEC stream into a ZIP VF', { kind: 'sec' }],
  ['a different queue count', { qpPerVf: 8 }],
  ['a different queue isolation configuration', { queIso: 1 }],
];

/** A running source guest with ZIP jobs submitted and an incompatible destination host `dstOptions`. */
export function mismatchedPair(dstOptions: HostOptions, seed: number, count: number) {
  const pair = migrationPair();
  const dst = makeHost(pair.src.clock, 'dst2', dstOptions);
  const inputs = submitZipJobs(pair.vm, seed, count);
  return { ...pair, dst, inputs };
}

/**
 * Remember the VF hardware state of `h` now; the returned check expects it unchanged (a refused or failed
 * restore wrote nothing).
 */
export function expectVfStateKept(h: Host): () => void {
  const before = h.vfHw.snapshot().state;
  return () => expect(h.vfHw.snapshot().state).toEqual(before);
}

/** Submit `count` deterministic ZIP deflate jobs of `size` bytes to the guest driver of `vm`. */
export function submitZipJobs(vm: Vm, seed: number, count: number, size?: number): Uint8Array[] {
  const inputs = zipInputs(seed, count, size);
  for (const input of inputs) vm.driver!.submit({ opcode: ZIP_DEFLATE, input });
  return inputs;
}

/** A {@link migrationPair} whose source guest ran `count` ZIP jobs (inputs from `seed`) to completion. */
export function migrationPairAfterJobs(seed: number, count: number) {
  const pair = migrationPair();
  submitZipJobs(pair.vm, seed, count);
  pair.clock.runUntilIdle();
  return pair;
}

/**
 * The guest of `vm` still works: `count` more jobs (inputs from `seed`) complete, and every job the
 * guest ever submitted (`earlier` first) completed once, in order, with the node:zlib output.
 */
export function expectGuestKeepsWorking(
  vm: Vm,
  earlier: readonly Uint8Array[],
  seed: number,
  count: number,
): void {
  const more = submitZipJobs(vm, seed, count);
  vm.clock.runUntilIdle();
  expect(vm.driver!.completed.map((r) => r.output)).toEqual([...earlier, ...more].map(expectedDeflate));
}

/**
 * The source resumed after a failed or cancelled migration (the protocol has backed out): the guest's vCPUs
 * run again (nothing to do for a guest that never stopped), the clock drains, the VF is not paused, and the
 * guest keeps working (`count` more jobs from `seed` after `inputs`).
 */
export function expectSourceResumed(
  { src, vm }: Pick<MigrationPair, 'src' | 'vm'>,
  inputs: readonly Uint8Array[],
  seed: number,
  count: number,
): void {
  vm.start();
  src.clock.runUntilIdle();
  expect(src.vfHw.paused).toBe(false);
  expectGuestKeepsWorking(vm, inputs, seed, count);
}

/** What a protocol's migration helper returns that the shared checks need. */
export interface MigrationOutcome {
  readonly dstVm: Vm;
}

/**
 * Migrate `vm` from `src` to `dst` with one protocol (`migrateV1`, `migrateV2` of the testbed);
 * `hooks.beforeStop` runs while the guest still runs.
 */
export type Migrate<R extends MigrationOutcome> = (
  vm: Vm,
  src: Host,
  dst: Host,
  hooks: { beforeStop?: () => void },
) => R;

/**
 * Jobs in flight at the stop finish on the destination: 24 jobs of 16 KiB (inputs from `seed`) are
 * submitted, part of them finish on the source, then `migrate` moves the guest. Checks that every job
 * completed exactly once across source and destination with status OK and the node:zlib output, that the
 * destination completed some, and that the destination keeps working (4 jobs from `seed + 1`).
 * `afterMigration` runs once the clock is idle after the migration, before these checks.
 */
export function expectJobsSurviveMigration<R extends MigrationOutcome>(
  migrate: Migrate<R>,
  seed: number,
  afterMigration: (pair: MigrationPair, result: R) => void = () => {},
): void {
  const pair = migrationPair();
  const { clock, src, dst, vm } = pair;
  const inputs = zipInputs(seed, 24, 16 << 10);
  const ids = inputs.map((input) => vm.driver!.submit({ opcode: ZIP_DEFLATE, input }));
  // Let part of the work finish on the source.
  clock.runUntil(clock.now() + 30);
  const doneOnSource = vm.driver!.completed.length;
  expect(doneOnSource).toBeGreaterThan(0);
  expect(doneOnSource).toBeLessThan(inputs.length);

  const result = migrate(vm, src, dst, {});
  const { dstVm } = result;
  clock.runUntilIdle();
  afterMigration(pair, result);

  const all = [...vm.driver!.completed, ...dstVm.driver!.completed];
  expect(all.map((r) => r.jobId).sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b));
  for (const r of all) {
    expect(r.status).toBe(QM_SQE_STATUS_OK);
    expect(r.output).toEqual(expectedDeflate(inputs[ids.indexOf(r.jobId)]!));
  }
  expect(dstVm.driver!.completed.length).toBeGreaterThan(0);
  // The destination keeps working after the migration.
  const more = zipInputs(seed + 1, 4);
  for (const input of more) dstVm.driver!.submit({ opcode: ZIP_DEFLATE, input });
  clock.runUntilIdle();
  expect(dstVm.driver!.completed.slice(-4).map((r) => r.output)).toEqual(more.map(expectedDeflate));
}

/**
 * Window gating: while the guest may run, the source never touches the VF registers; it does once the
 * guest is stopped, and no access is refused. `beforeStop` may record protocol state at the same point.
 */
export function expectNoRegisterAccessWhileRunning<R extends MigrationOutcome>(
  migrate: Migrate<R>,
  seed: number,
  beforeStop: (src: Host) => void = () => {},
): void {
  const { clock, src, dst, vm, srcDev } = migrationPair();
  submitZipJobs(vm, seed, 4);
  let accessesWhileRunning = -1;
  migrate(vm, src, dst, {
    beforeStop: () => {
      accessesWhileRunning = srcDev.window.accesses;
      beforeStop(src);
    },
  });
  clock.runUntilIdle();
  expect(accessesWhileRunning).toBe(0);
  expect(srcDev.window.accesses).toBeGreaterThan(0);
  expect(srcDev.window.refused).toBe(0);
}

/** How one protocol stops the source and backs out, for {@link expectFailedStopLeavesSourceRunning}. */
export interface FailingStop {
  /** The state write that stops the device (and that the fault makes fail). */
  readonly stop: () => void;
  /** The protocol's checks right after the failure: its device state did not change. */
  readonly unchanged: () => void;
  /** The protocol's way back to RUNNING once the fault is cleared. */
  readonly backOut: () => void;
}

/**
 * A fault at the stop: with `fault` injected into `target` of the source and the guest stopped, the
 * protocol's stop fails with one of `errnos`; the device state is unchanged, the host window unmapped, the
 * VF not paused. With the fault cleared and the protocol backed out, the guest restarts, the VF is not
 * paused, and the guest keeps working (2 more jobs from `moreSeed` after `inputs`).
 */
export function expectFailedStopLeavesSourceRunning(
  { src, vm, srcDev }: MigrationPair,
  [, target, fault, errnos]: (typeof FAULTS_AT_STOP)[number],
  protocol: FailingStop,
  inputs: readonly Uint8Array[],
  moreSeed: number,
): void {
  const fn = faultTarget(src, target);
  fn.faults.inject(fault);
  vm.stop();
  const errno = errnoOf(protocol.stop);
  expect(errnos).toContain(errno);
  protocol.unchanged();
  expect(srcDev.window.isMapped).toBe(false);
  expect(srcDev.paused).toBe(false);
  fn.faults.clear(fault.kind);
  protocol.backOut();
  expectSourceResumed({ src, vm }, inputs, moreSeed, 2);
}
