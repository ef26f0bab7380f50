import { KernelError } from '@vfio-sim/platform';
import type { Host } from '../host/host.js';
import { type LinkReport, MigrationLink, type MigrationLinkOptions } from '../link/link.js';
import type { LiveMigrationOptions } from '../migration/live-migration-options.js';
import { type LiveMigrationV1Report, liveMigrateV1 } from '../migration/live-migration-v1.js';
import { type LiveMigrationV2Report, liveMigrateV2 } from '../migration/live-migration-v2.js';
import type { RamPrecopyOptions } from '../migration/ram/ram-precopy.js';
import type { LiveMigrationResult, MigrationPhaseName } from '../report/migration-report.js';
import { type JobLossCause, UPSTREAM_NOT_STARTED, UPSTREAM_VMM_RESET } from '../workload/job-loss.js';
import { FaultPlan, type FaultRecord, type FaultSpec } from './fault-plan.js';
import type { Guest, GuestDeviceErrorRecord } from './guest.js';
import { type MigrationProof, migrationProof, proofFailures } from './proof.js';
import { type MigrateVerdictKind, migrateVerdict } from './verdict.js';

/** The VFIO migration protocol of a migration. */
export type MigrationProtocol = 'v1' | 'v2';

/** The protocols, in the order the CLI lists them. */
export const MIGRATION_PROTOCOLS: readonly MigrationProtocol[] = ['v1', 'v2'];

/** Options of {@link migrate}. */
export interface MigrateOptions {
  /** The destination host: an incoming VM starts there with a free device of each model. */
  readonly to: Host;
  /**
   * `v2` (default): each device's state machine through VFIO_DEVICE_FEATURE with data fds, PRE_COPY
   * and switchover-ack (QEMU 9.1's pairing with iommufd); `v1`: the v1 migration region.
   */
  readonly protocol?: MigrationProtocol;
  /** Guest RAM by pre-copy rounds under dirty tracking (default true), or whole while stopped. */
  readonly precopy?: boolean;
  /**
   * The channel: its speed (default 10 Gbit/s), whether vfio sections carry a length and CRC-32C the
   * destination checks (`sectionCrc`, default true — beyond upstream), corruption in flight (`faults`);
   * or a link of your own.
   */
  readonly link?: ({ readonly bytesPerUs?: number } & MigrationLinkOptions) | MigrationLink;
  /**
   * Opt-in, beyond upstream: the destination checks it loaded exactly the device bytes the source's
   * kernel announced (v2 MIG_DATA_SIZE, v1 pending_bytes), else EIO (default false).
   */
  readonly checkDeviceBytes?: boolean;
  /** RAM pre-copy limits (downtime limit, rounds). */
  readonly ram?: RamPrecopyOptions;
  /** v2: the switchover-ack capability (default true). */
  readonly switchoverAck?: boolean;
  /** v1: most device pre-copy iterations (default 8). */
  readonly maxPrecopyIterations?: number;
  /** Hardware faults to inject during the migration ({@link FaultSpec}). */
  readonly faults?: readonly FaultSpec[];
  /** Jobs each accelerator VF gets after the migration, where the guest then runs (default 0). */
  readonly jobsAfter?: number;
}

/** Where and why a migration failed. */
export interface MigrationError {
  readonly errno: string;
  readonly message: string;
  /** The phase that was running when the step failed. */
  readonly phase: MigrationPhaseName;
}

/** What {@link migrate} did, and what it proves. */
export interface MigrateReport {
  /** PASS: the guest migrated and the proof holds. */
  readonly result: 'PASS' | 'FAIL';
  /** Why not, in words (empty on PASS). */
  readonly failures: readonly string[];
  /** `migrated`: the guest runs on the destination; `aborted`: it failed and the guest runs on the source. */
  readonly outcome: 'migrated' | 'aborted';
  readonly protocol: MigrationProtocol;
  /** Source and destination host names. */
  readonly from: string;
  readonly to: string;
  /** The failing step (null when it migrated). */
  readonly error: MigrationError | null;
  /** The migration's report, by protocol (`migration.protocol`); null when aborted. */
  readonly migration: LiveMigrationV1Report | LiveMigrationV2Report | null;
  /** Jobs not completed when the source vCPUs stopped (null if they never stopped). */
  readonly inFlightAtStop: number | null;
  /** Jobs the guest's streams submitted while the migration ran. */
  readonly submittedDuringMigration: number;
  /** The faults injected, where and when. */
  readonly faults: readonly FaultRecord[];
  /** What the link did with the vfio sections: framing, refusals, the link faults applied. */
  readonly link: LinkReport;
  /** Queue and device errors the guest's drivers reported from the migration's start on. */
  readonly deviceErrors: readonly GuestDeviceErrorRecord[];
  /**
   * The clock ended the guest's run after the migration (EDEADLK: the storm guard caught a source
   * re-raising without progress), or null. The guest did not settle; `jobsAfter` were not submitted.
   */
  readonly settleError: { readonly errno: string; readonly message: string } | null;
  /** `jobsAfter` refused by a guest driver (e.g. EAGAIN: its queue stopped), or null. */
  readonly refusedAfter: MigrationError['errno'] | null;
  readonly proof: MigrationProof;
  /**
   * `pass`, `aborted` (cleanly: the guest served at the source), `attributed-loss` (every lost job
   * with its cause, as upstream) or `silent` (something wrong nothing reports, listed in `silent`);
   * `result` is PASS only for `pass`.
   */
  readonly verdict: MigrateVerdictKind;
  /** What went wrong without a cause (empty unless the verdict is `silent`). */
  readonly silent: readonly string[];
}

/**
 * Live-migrate `guest` to `options.to` as QEMU does (the v1 region or the v2 state machine for every
 * device, RAM by pre-copy under IOMMU + CPU dirty tracking), with any faults armed, then let the guest
 * settle (the clock runs until idle, `jobsAfter` more jobs, idle again, every serial port read until
 * empty) and prove it: every job verified exactly once, every serial byte back exactly once, guest RAM
 * identical page by page at the switch-over, device bytes saved = loaded, the devices' final states. On success the source QEMU quits (its devices are free again);
 * on a failure the guest runs on at the source and the report says where and why.
 *
 * Deterministic: same simulation seed, same report.
 *
 * VMM counterpart: `virsh migrate --live` (libvirt drives QEMU's `migrate` on the source and
 * `-incoming` on the destination, then quits the source).
 * @throws KernelError EINVAL for bad options (before anything is touched); an error that is not a
 *   KernelError (a model bug) is rethrown.
 */
export function migrate(guest: Guest, options: MigrateOptions): MigrateReport {
  const vm = guest.vm;
  const clock = vm.clock;
  const to = options.to;
  const protocol = options.protocol ?? 'v2';
  if (protocol !== 'v1' && protocol !== 'v2')
    throw new KernelError('EINVAL', `protocol '${String(protocol)}' is neither v1 nor v2`);
  const jobsAfter = options.jobsAfter ?? 0;
  if (!Number.isInteger(jobsAfter) || jobsAfter < 0)
    throw new KernelError('EINVAL', `jobsAfter ${jobsAfter}`);
  const link =
    options.link instanceof MigrationLink
      ? options.link
      : new MigrationLink(clock, options.link?.bytesPerUs, {
          ...(options.link?.sectionCrc !== undefined ? { sectionCrc: options.link.sectionCrc } : {}),
          ...(options.link?.faults !== undefined ? { faults: options.link.faults } : {}),
        });
  const planned = plannedDestination(guest, to);
  const faults = new FaultPlan(
    options.faults ?? [],
    (side, device) => {
      const name = side === 'source' ? vm.devices[device]?.host.name : planned[device];
      if (name === undefined)
        throw new KernelError('EINVAL', `fault on device ${device}: the guest has ${vm.devices.length}`);
      return { host: side === 'source' ? vm.host : to, vf: name };
    },
    clock,
  );

  const streamedBefore = guest.streamed;
  const errorsBefore = guest.deviceErrors.length;
  let inFlightAtStop: number | null = null;
  let phase: MigrationPhaseName = 'setup';
  let switchedOver = false;
  /** When each destination device began its start (vm_start), by device index. */
  const startedAt: number[] = [];
  const common: LiveMigrationOptions = {
    source: vm,
    destination: to,
    link,
    ...(options.precopy !== undefined ? { precopy: options.precopy } : {}),
    ...(options.ram !== undefined ? { ram: options.ram } : {}),
    ...(options.checkDeviceBytes !== undefined ? { checkDeviceBytes: options.checkDeviceBytes } : {}),
    beforeStop: () => {
      inFlightAtStop = guest.outstanding;
    },
    // before the destination vCPUs start: the interrupts queued at the stop complete jobs there
    onDeviceStart: (device) => {
      startedAt[device] = clock.now();
    },
    onGuestResumed: (dstVm) => {
      switchedOver = true;
      guest.movedTo(dstVm, startedAt);
    },
    onPhase: (p) => {
      phase = p;
      faults.onPhase(p);
    },
    // QEMU reset a source VF the guest still runs on: its queues are gone, the guest is not told
    onDeviceReset: (device, side, cause) => {
      if (side === 'source' && !switchedOver)
        guest.deviceLost(device, vmmResetCause(phase, cause, clock.now()));
    },
  };
  faults.armTimed();
  let result: LiveMigrationResult<LiveMigrationV1Report | LiveMigrationV2Report> | undefined;
  let error: MigrationError | null = null;
  try {
    result =
      protocol === 'v2'
        ? liveMigrateV2({
            ...common,
            ...(options.switchoverAck !== undefined ? { switchoverAck: options.switchoverAck } : {}),
          })
        : liveMigrateV1({
            ...common,
            ...(options.maxPrecopyIterations !== undefined
              ? { maxPrecopyIterations: options.maxPrecopyIterations }
              : {}),
          });
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
    error = { errno: e.errno, message: e.message, phase };
  }
  const records = faults.finish();
  const submittedDuringMigration = guest.streamed - streamedBefore;
  if (result !== undefined) {
    vm.quit();
    attributeStatelessLoads(guest, clock.now());
  }
  // the guest settles; a run the clock ends (EDEADLK: an event storm, a model that never idles) ends it
  let settleError: { errno: string; message: string } | null = null;
  const settle = (): void => {
    try {
      clock.runUntilIdle();
    } catch (e) {
      if (!(e instanceof KernelError) || e.errno !== 'EDEADLK') throw e;
      settleError = { errno: e.errno, message: e.message };
    }
  };
  settle();
  let refusedAfter: MigrationError['errno'] | null = null;
  if (jobsAfter > 0 && guest.workloads.length > 0 && settleError === null) {
    try {
      guest.submit(jobsAfter);
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
      refusedAfter = e.errno;
    }
    settle();
  }
  guest.drainUarts();
  const ended = settleError as { errno: string; message: string } | null;
  const migration = result?.report ?? null;
  const outcome = result !== undefined ? 'migrated' : 'aborted';
  const proof = migrationProof(guest.tally(), migration, guest.uartTally());
  const deviceErrors = guest.deviceErrors.slice(errorsBefore);
  const verdict = migrateVerdict({
    outcome,
    migration,
    proof,
    refusedAfter,
    deviceErrors: deviceErrors.length,
    settleError: ended?.message ?? null,
  });
  const failures = [
    ...(error !== null ? [`migration aborted in ${error.phase}: ${error.message}`] : []),
    ...proofFailures(proof, migration),
    ...(refusedAfter !== null
      ? [`jobs after the migration refused by the guest driver: ${refusedAfter}`]
      : []),
    ...(ended !== null ? [`the guest's run ended: ${ended.message}`] : []),
  ];
  return {
    result: verdict.kind === 'pass' && failures.length === 0 ? 'PASS' : 'FAIL',
    failures,
    outcome,
    protocol,
    from: vm.host.name,
    to: to.name,
    error,
    migration,
    inFlightAtStop,
    submittedDuringMigration,
    faults: records,
    link: link.report(),
    deviceErrors,
    refusedAfter,
    settleError: ended,
    proof,
    verdict: verdict.kind,
    silent: verdict.silent,
  };
}

/** The cause of the jobs lost when QEMU's recovery reset a source VF under the running guest. */
function vmmResetCause(phase: MigrationPhaseName, cause: KernelError, atUs: number): JobLossCause {
  return {
    kind: 'device-reset-by-vmm',
    detail: `in ${phase}, after ${cause.errno} (${cause.message}), QEMU reset the source VF (VFIO_DEVICE_RESET) and the guest runs on it unaware: its queues are gone`,
    errno: null,
    atUs,
    upstream: UPSTREAM_VMM_RESET,
  };
}

/**
 * After a switch-over: a destination device whose variant driver restored it without the running state
 * the guest's driver relies on (hisi_acc: loaded as "guest driver not started") loses every job there.
 */
function attributeStatelessLoads(guest: Guest, atUs: number): void {
  guest.devices.forEach((dev, device) => {
    const detail = dev.host.model.restoredWithoutState?.(dev);
    if (detail !== undefined)
      guest.deviceLost(device, {
        kind: 'loaded-not-started',
        detail,
        errno: null,
        atUs,
        upstream: UPSTREAM_NOT_STARTED,
      });
  });
}

/** The destination devices the incoming VM will claim, in the guest's device order (PCI names). */
function plannedDestination(guest: Guest, to: Host): (string | undefined)[] {
  const taken = new Set<string>();
  return guest.devices.map((dev) => {
    const free = to.assignable.find(
      (d) => d.model.name === dev.model && d.owner === undefined && !taken.has(d.name),
    );
    if (free !== undefined) taken.add(free.name);
    return free?.name;
  });
}
