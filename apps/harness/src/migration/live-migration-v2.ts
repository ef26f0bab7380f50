import {
  migStateName,
  QemuFileReader,
  QemuFileWriter,
  type QemuV2Client,
  VFIO_DEVICE_STATE_RESUMING,
  VFIO_DEVICE_STATE_RUNNING,
  VFIO_MIG_FLAG_DEV_DATA_STATE,
  vfioMigPath,
} from '@vfio-sim/migration-v2';
import { KernelError, type Tracer } from '@vfio-sim/platform';
import type { Vm } from '../guest/vm.js';
import { deviceStateStep } from './device-state-step.js';
import { GuestMigration } from './guest-migration.js';
import { MigrationLink } from './link.js';
import type { LiveMigrationOptions } from './live-migration-options.js';
import { MigrationPhases } from './migration-phases.js';
import type { DeviceStateStep, LiveMigrationReport, LiveMigrationResult } from './migration-report.js';
import { checkRamPrecopyOptions } from './ram-precopy.js';
import { openQemuV2Client } from './v2-client.js';
import { VfioSectionStats } from './vfio-section-stats.js';

/** What a v2 live migration did: the fields of a v1 report, and the v2 specifics. */
export interface LiveMigrationV2Report extends LiveMigrationReport {
  readonly protocol: 'v2';
  /** Whether the `switchover-ack` capability was on. */
  readonly switchoverAck: boolean;
  /**
   * Virtual time (µs) at which the destination loaded INIT_DATA_SENT — the device's initial data
   * (hisi_acc: the match data, checked by the resume write) — and approved the switch-over; null
   * without switchover-ack.
   */
  readonly switchoverApprovedUs: number | null;
  /** VFIO_DEVICE_FEATURE_MIG_DATA_SIZE at the last exact pending query (hisi_acc: 176). */
  readonly stopCopySize: number;
  /**
   * The pending bytes at the last exact query (dirty RAM + the device's stop-copy size) and the
   * expected downtime QEMU derives from them (bytes / link bandwidth).
   */
  readonly lastPending: { readonly bytes: number; readonly expectedDowntimeUs: number } | null;
  /**
   * The arcs the kernel walks for the destination's vm_start (`vfio_mig_get_next_state` from
   * RESUMING to RUNNING): RESUMING → STOP (the driver checks and loads the data) → RUNNING.
   */
  readonly destinationStartPath: readonly string[];
}

/** Options of {@link liveMigrateV2}. */
export interface LiveMigrationV2Options extends LiveMigrationOptions {
  /** The `switchover-ack` capability on both sides (default true). */
  readonly switchoverAck?: boolean;
}

/** The destination side after a successful v2 migration, and the report. */
export type LiveMigrationV2Result = LiveMigrationResult<LiveMigrationV2Report>;

/**
 * Live-migrate a VM with a hisi accelerator VF over the v2 protocol (device state machine through
 * VFIO_DEVICE_FEATURE, data through the data fds), driven by QEMU's v2 client on both hosts, with
 * guest RAM pre-copied under iommufd dirty tracking — QEMU 9.1's pairing:
 *
 * 1. setup — the destination waits (`-incoming`): load_setup (RUNNING → RESUMING, a resuming data
 *    fd); on the source RAM's setup comes first (dirty tracking starts: CPU log, IOMMU), then
 *    save_setup (MIG_DATA_SIZE, RUNNING → PRE_COPY with a saving data fd, PRECOPY_INFO);
 * 2. pre-copy — iterations as QEMU's `migration_iteration_run` does them: a RAM round
 *    ({@link RamPrecopy.round}), then the device's `save_live_iterate` (one read of the data fd: the
 *    40-byte match data, then nothing; INIT_DATA_SENT with switchover-ack), each section loaded by
 *    the destination as it arrives (its resume write checks the match data); then the pending
 *    estimate (dirty RAM + PRECOPY_INFO bytes) and, under the threshold (bandwidth × downtime
 *    limit), the exact one (+ MIG_DATA_SIZE); the loop ends when that is under the threshold and the
 *    destination approved the switch-over, or at the iteration limit;
 * 3. stop — the vCPUs stop, the VM-state handler sets PRE_COPY → STOP_COPY (the driver pauses the VF,
 *    its cache write-back DMAs into guest RAM, it saves the full state into the same data fd);
 * 4. stop-and-copy — save_complete reads the data fd until it returns 0, then the CONFIG section;
 * 5. guest memory — the final dirty sync and the remaining pages (or every touched page), the vCPU
 *    state; source and destination RAM are compared page by page;
 * 6. resume — load_cleanup (the data fd closed), the guest driver rebuilt from the copied RAM,
 *    vm_start: RESUMING → RUNNING (the kernel walks RESUMING → STOP, where the driver checks and
 *    restores the state, → RUNNING, where it restarts the queues), the vCPUs start;
 * 7. cleanup — the source's save_cleanup (STOP_COPY → STOP, data fd closed), outside the downtime.
 *
 * The state is read back through VFIO_DEVICE_FEATURE GET MIG_DEVICE_STATE after every step. If any
 * step fails before the switch-over the migration fails on the source as QEMU's does: dirty tracking
 * stops; a stopped VM's devices are set RUNNING and its vCPUs start; save_cleanup; the failure
 * notifier sets RUNNING (PRE_COPY → RUNNING ends the session) — the guest keeps running.
 *
 * VMM counterpart: QEMU 9.1+ `migrate` with hw/vfio/migration.c (v2), migration/ram.c and the
 * iommufd dirty tracking of hw/vfio/iommufd.c.
 * @throws KernelError EINVAL for bad RAM options, EOPNOTSUPP for pre-copy when the source IOMMU cannot
 *   track dirty pages (both before anything is touched); ETIMEDOUT if the destination never approved
 *   the switch-over within the iteration limit; from the failing step, after the cancel.
 */
export function liveMigrateV2(options: LiveMigrationV2Options): LiveMigrationV2Result {
  const { source, destination } = options;
  const vm = source.vm;
  const clock = vm.clock;
  const precopy = options.precopy ?? true;
  const { downtimeLimitUs, maxRounds: maxIterations } = checkRamPrecopyOptions(options.ram);
  if (precopy) GuestMigration.checkDirtyTracking(options);
  const switchoverAck = options.switchoverAck ?? true;
  const link = options.link ?? new MigrationLink(clock);
  const t0 = clock.now();
  const s = openQemuV2Client(source.host, { switchoverAck });
  const d = openQemuV2Client(destination, { switchoverAck });
  const tracer = source.host.tracer;
  const dstTracer = destination.tracer;
  const sourceStates: DeviceStateStep[] = [readState(s, tracer, 'realize')];
  const destinationStates: DeviceStateStep[] = [readState(d, dstTracer, 'realize')];
  const phases = new MigrationPhases(clock, tracer);
  const stats = new VfioSectionStats(link, phases);
  let switchoverApprovedUs: number | null = null;

  /** One vfio section: written by `save` on the source, sent, loaded on the destination. */
  const section = (save: (w: QemuFileWriter) => void): void => {
    const w = new QemuFileWriter();
    save(w);
    const bytes = w.toBytes();
    stats.sent(dataBytesOf(bytes), w.size);
    const r = new QemuFileReader(bytes);
    while (r.remaining > 0) stats.loaded(d.loadState(r));
    if (switchoverApprovedUs === null && d.switchoverApproved) {
      switchoverApprovedUs = clock.now();
      if (dstTracer.enabled) dstTracer.instant('migration', 'switchover approved (INIT_DATA_SENT)');
    }
  };

  let guest: GuestMigration | undefined;
  let stoppedAt: number | undefined;
  let switchedOver = false;
  try {
    phases.begin('setup');
    guest = new GuestMigration(options, link);
    d.loadSetup();
    destinationStates.push(readState(d, dstTracer, 'load_setup'));
    if (precopy) guest.startRamPrecopy(tracer);
    section((w) => s.saveSetup(w));
    sourceStates.push(readState(s, tracer, 'save_setup'));
    phases.end();

    phases.begin('pre-copy');
    const ram = guest.ram;
    const threshold = link.bytesPerUs * downtimeLimitUs;
    let precopyIterations = 0;
    let converged = false;
    let stopCopySize = s.stopCopySize;
    let lastPending: LiveMigrationV2Report['lastPending'] = null;
    for (let i = 0; i < maxIterations && !converged; i++) {
      ram?.round();
      if (s.isActiveIterate()) {
        section((w) => s.saveIterate(w));
        precopyIterations++;
        sourceStates.push(readState(s, tracer, 'save_live_iterate'));
      }
      const ramBytes = ram?.remainingBytes ?? 0;
      if (ramBytes + s.statePendingEstimate() <= threshold) {
        stopCopySize = s.statePendingExact();
        const bytes = ramBytes + stopCopySize;
        lastPending = { bytes, expectedDowntimeUs: Math.ceil(bytes / link.bytesPerUs) };
        converged = bytes <= threshold && (!switchoverAck || d.switchoverApproved);
      }
    }
    if (switchoverAck && !d.switchoverApproved)
      throw new KernelError(
        'ETIMEDOUT',
        `${destination.name}: switch-over not acknowledged after ${precopyIterations} iteration(s)`,
      );
    if (converged) ram?.markConverged();
    phases.addGuestMemoryBytes(ram?.precopyBytes ?? 0);
    phases.end();

    phases.begin('stop');
    options.beforeStop?.();
    stoppedAt = clock.now();
    vm.stop();
    s.vmStateChange(false, 'finish-migrate');
    sourceStates.push(readState(s, tracer, 'vm_stop'));
    phases.end();

    phases.begin('stop-and-copy');
    section((w) => s.saveComplete(w));
    sourceStates.push(readState(s, tracer, 'save_live_complete_precopy'));
    section((w) => s.saveState(w));
    phases.end();

    phases.begin('guest memory');
    const stopped = guest.copyStopped();
    phases.addGuestMemoryBytes(stopped.guestMemory.bytes);
    phases.end();

    phases.begin('resume');
    d.loadCleanup();
    destinationStates.push(readState(d, dstTracer, 'load_cleanup'));
    const driver = guest.resume(() => {
      d.vmStateChange(true);
      switchedOver = true;
      destinationStates.push(readState(d, dstTracer, 'vm_start'));
    });
    const downtimeUs = clock.now() - stoppedAt;
    phases.end();

    phases.begin('cleanup');
    s.saveCleanup();
    sourceStates.push(readState(s, tracer, 'save_cleanup'));
    phases.end();

    return {
      destination: guest.destination,
      driver,
      report: {
        protocol: 'v2',
        sourceStates,
        destinationStates,
        phases: phases.list,
        ...stats.totals,
        guestMemory: stopped.guestMemory,
        ram: guest.ramReport(stopped),
        pendingIrqsMoved: stopped.pendingIrqsMoved,
        precopyIterations,
        downtimeUs,
        totalUs: clock.now() - t0,
        switchoverAck,
        switchoverApprovedUs,
        stopCopySize,
        lastPending,
        destinationStartPath: [
          VFIO_DEVICE_STATE_RESUMING,
          ...vfioMigPath(d.migrationFlags, VFIO_DEVICE_STATE_RESUMING, VFIO_DEVICE_STATE_RUNNING),
        ].map(migStateName),
      },
    };
  } catch (e) {
    if (!switchedOver) cancel(s, d, vm, guest, stoppedAt !== undefined);
    throw e;
  }
}

/**
 * QEMU's failure path on the source, in its order: dirty tracking stops; if the VM was stopped, its
 * devices are set RUNNING (the VM-state handler; hisi_acc restarts the paused VF) and the vCPUs
 * start; save_cleanup closes the data fd; the failure notifier sets RUNNING (a device still in
 * PRE_COPY leaves it, which ends the session). The destination closes its data fd. Errors here are
 * swallowed: the migration's own error is the one reported.
 */
function cancel(
  s: QemuV2Client,
  d: QemuV2Client,
  vm: Vm,
  guest: GuestMigration | undefined,
  stopped: boolean,
) {
  guest?.abort();
  const attempt = (step: () => void): void => {
    try {
      step();
    } catch {
      // the first error is the one to report; the device may already be in the error state
    }
  };
  if (stopped) attempt(() => s.vmStateChange(true));
  vm.start();
  attempt(() => s.saveCleanup());
  attempt(() => s.migrationFailed());
  attempt(() => d.loadCleanup());
}

/** The device-data bytes (DATA record payloads) of one vfio section. */
function dataBytesOf(section: Uint8Array): number {
  const r = new QemuFileReader(section);
  let total = 0;
  while (r.remaining > 0) {
    if (r.getBe64() !== VFIO_MIG_FLAG_DEV_DATA_STATE) continue;
    const size = Number(r.getBe64());
    r.getBuffer(size);
    total += size;
  }
  return total;
}

/** VFIO_DEVICE_FEATURE GET MIG_DEVICE_STATE after a client step (traced as an instant). */
function readState(client: QemuV2Client, tracer: Tracer, step: string): DeviceStateStep {
  const state = client.handle.getMigState();
  return deviceStateStep(tracer, step, state, migStateName(state));
}
