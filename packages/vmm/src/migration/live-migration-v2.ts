import {
  migStateName,
  QemuFileReader,
  type QemuV2Client,
  VFIO_DEVICE_STATE_RESUMING,
  VFIO_DEVICE_STATE_RUNNING,
  VFIO_MIG_FLAG_DEV_CONFIG_STATE,
  VFIO_MIG_FLAG_DEV_DATA_STATE,
  VFIO_MIGRATION_P2P,
  vfioMigPath,
} from '@vfio-sim/migration-v2';
import { KernelError, type Tracer } from '@vfio-sim/platform';
import type { VfioPciDevice } from '../devices/vfio-pci-device.js';
import { MigrationLink } from '../link/link.js';
import type {
  DeviceStateStep,
  LiveMigrationReport,
  LiveMigrationResult,
} from '../report/migration-report.js';
import type { Vm } from '../vm/vm.js';
import { devicePairs, GuestMigration } from './guest-migration.js';
import type { LiveMigrationOptions } from './live-migration-options.js';
import { MigrationPhases } from './migration-phases.js';
import { checkRamPrecopyOptions } from './ram/ram-precopy.js';
import { deviceStateStep } from './vfio/device-state-step.js';
import {
  type MigratingDevice,
  type MigratingDeviceProtocol,
  type MigrationContext,
  migratingDevice,
} from './vfio/migrating-device.js';
import { openQemuV2Client } from './vfio/v2-client.js';
import { sumSectionTotals } from './vfio/vfio-section-stats.js';

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
  /** VFIO_DEVICE_FEATURE_MIG_DATA_SIZE at the last exact pending query, all devices (hisi_acc: 176 each). */
  readonly stopCopySize: number;
  /**
   * The pending bytes at the last exact query (dirty RAM + the device's stop-copy size) and the
   * expected downtime QEMU derives from them (bytes / link bandwidth).
   */
  readonly lastPending: { readonly bytes: number; readonly expectedDowntimeUs: number } | null;
  /**
   * The arcs the kernel walks for the first destination device's vm_start (`vfio_mig_get_next_state`
   * from RESUMING to RUNNING): RESUMING → STOP (the driver checks and loads the data) → RUNNING; empty
   * for a VM without devices.
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
 * Live-migrate a VM over the v2 protocol (each device's state machine through VFIO_DEVICE_FEATURE, its
 * data through data fds), driven by QEMU's v2 client for every device on both hosts, with guest RAM
 * pre-copied under iommufd dirty tracking — QEMU 9.1's pairing:
 *
 * 1. setup — the destination waits (`-incoming`, its devices realized): load_setup per device
 *    (RUNNING → RESUMING, a resuming data fd); on the source RAM's setup comes first (dirty tracking
 *    starts: CPU log, IOMMU), then save_setup per device (MIG_DATA_SIZE, RUNNING → PRE_COPY with a
 *    saving data fd, PRECOPY_INFO);
 * 2. pre-copy — iterations as QEMU's `migration_iteration_run` does them: a RAM round
 *    ({@link RamPrecopy.round}), then each device's `save_live_iterate` (one read of its data fd; for
 *    hisi_acc the 40-byte match data, then nothing; INIT_DATA_SENT with switchover-ack), each section
 *    loaded by the destination as it arrives; then the pending estimate (dirty RAM + every device's
 *    PRECOPY_INFO bytes) and, under the threshold (bandwidth × downtime limit), the exact one
 *    (+ MIG_DATA_SIZE); the loop ends when that is under the threshold and the destination approved the
 *    switch-over for every device, or at the iteration limit;
 * 3. stop — the vCPUs stop; the VM-state handlers run in reverse device order, first the prepare pass
 *    (each P2P device PRE_COPY → PRE_COPY_P2P: quiesced before any device stops), then the main one
 *    (each device → STOP_COPY; hisi_acc pauses the VF, its cache write-back DMAs into guest RAM, it
 *    saves the full state into the fd);
 * 4. stop-and-copy — save_complete reads each data fd until it returns 0, then the CONFIG sections;
 * 5. guest memory — the final dirty sync and the remaining pages (or every touched page), the vCPU
 *    state; source and destination RAM are compared page by page;
 * 6. resume — load_cleanup per device (the data fd closed), the guest's drivers resumed from the
 *    copied RAM, vm_start: the prepare pass (each P2P device → RUNNING_P2P: every device loaded and
 *    quiesced before any runs), then → RUNNING per device (the kernel walks RESUMING → STOP, where the
 *    driver checks and restores the state, → RUNNING), the vCPUs start;
 * 7. cleanup — the source's save_cleanup per device (STOP_COPY → STOP, data fd closed), outside the
 *    downtime.
 *
 * Each device's state is read back through VFIO_DEVICE_FEATURE GET MIG_DEVICE_STATE after every step.
 * If any step fails before the switch-over the migration fails on the source as QEMU's does: dirty
 * tracking stops; a stopped VM's devices are set RUNNING and its vCPUs start; save_cleanup; the failure
 * notifier sets RUNNING (PRE_COPY → RUNNING ends the session) — the guest keeps running; the
 * destination QEMU exits.
 *
 * VMM counterpart: QEMU 9.1+ `migrate` with hw/vfio/migration.c (v2), migration/ram.c and the
 * iommufd dirty tracking of hw/vfio/iommufd.c.
 * @throws KernelError EINVAL for bad RAM options, EOPNOTSUPP for pre-copy when a device's IOMMU cannot
 *   track dirty pages, or for several devices not all with P2P (QEMU's blocker; all before anything is
 *   touched); ETIMEDOUT if the destination never approved
 *   the switch-over within the iteration limit; from the failing step, after the cancel.
 */
export function liveMigrateV2(options: LiveMigrationV2Options): LiveMigrationV2Result {
  const { source: vm, destination } = options;
  const clock = vm.clock;
  const precopy = options.precopy ?? true;
  const { downtimeLimitUs, maxRounds: maxIterations } = checkRamPrecopyOptions(options.ram);
  if (precopy) GuestMigration.checkDirtyTracking(options);
  checkMultipleDevices(vm);
  const switchoverAck = options.switchoverAck ?? true;
  const link = options.link ?? new MigrationLink(clock);
  const t0 = clock.now();
  const tracer = vm.host.tracer;
  const dstTracer = destination.tracer;
  const phases = new MigrationPhases(clock, tracer, options.onPhase);
  let switchoverApprovedUs: number | null = null;

  let guest: GuestMigration | undefined;
  let devs: V2Device[] = [];
  let stoppedAt: number | undefined;
  let switchedOver = false;
  try {
    phases.begin('setup');
    guest = new GuestMigration(options, link);
    devs = devicePairs(vm, guest.destination).map(({ src, dst }, i) =>
      openDevice(src, dst, switchoverAck, { link, phases, tracer, dstTracer }, (side, cause) =>
        options.onDeviceReset?.(i, side, cause),
      ),
    );
    const allApproved = (): boolean => devs.every((d) => d.d.switchoverApproved);
    const noteApproval = (): void => {
      if (switchoverApprovedUs === null && devs.length > 0 && allApproved()) {
        switchoverApprovedUs = clock.now();
        if (dstTracer.enabled) dstTracer.instant('migration', 'switchover approved (INIT_DATA_SENT)');
      }
    };
    for (const dev of devs) {
      dev.d.loadSetup();
      dev.step('destination', 'load_setup');
    }
    if (precopy) guest.startRamPrecopy(tracer);
    for (const dev of devs) {
      dev.section((w) => dev.s.saveSetup(w));
      noteApproval();
      dev.step('source', 'save_setup');
    }
    phases.end();

    phases.begin('pre-copy');
    const ram = guest.ram;
    const threshold = link.bytesPerUs * downtimeLimitUs;
    let precopyIterations = 0;
    let converged = false;
    let stopCopySize = devs.reduce((a, d) => a + d.s.stopCopySize, 0);
    let lastPending: LiveMigrationV2Report['lastPending'] = null;
    for (let i = 0; i < maxIterations && !converged; i++) {
      ram?.round();
      let iterated = false;
      for (const dev of devs) {
        if (!dev.s.isActiveIterate()) continue;
        dev.section((w) => dev.s.saveIterate(w));
        noteApproval();
        dev.iterations++;
        iterated = true;
        dev.step('source', 'save_live_iterate');
      }
      if (iterated) precopyIterations++;
      const ramBytes = ram?.remainingBytes ?? 0;
      if (ramBytes + devs.reduce((a, d) => a + d.s.statePendingEstimate(), 0) <= threshold) {
        stopCopySize = devs.reduce((a, d) => a + d.s.statePendingExact(), 0);
        const bytes = ramBytes + stopCopySize;
        lastPending = { bytes, expectedDowntimeUs: Math.ceil(bytes / link.bytesPerUs) };
        converged = bytes <= threshold && (!switchoverAck || allApproved());
      }
    }
    if (switchoverAck && !allApproved())
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
    // vm_state_notify on stop: every prepare handler (P2P devices), then every main one, in reverse order
    const reversed = [...devs].reverse();
    for (const dev of reversed) {
      if (!dev.s.hasP2p) continue;
      dev.s.vmStateChangePrepare();
      dev.step('source', 'vm_stop prepare');
    }
    for (const dev of reversed) {
      dev.s.vmStateChange(false, 'finish-migrate');
      dev.step('source', 'vm_stop');
    }
    phases.end();

    phases.begin('stop-and-copy');
    for (const dev of devs) {
      dev.section((w) => dev.s.saveComplete(w));
      dev.step('source', 'save_live_complete_precopy');
    }
    for (const dev of devs) dev.section((w) => dev.s.saveState(w));
    if (options.checkDeviceBytes === true)
      for (const dev of devs) dev.stats.announce(dev.s.stopCopySize, 'MIG_DATA_SIZE');
    phases.end();

    phases.begin('guest memory');
    const stopped = guest.copyStopped();
    phases.addGuestMemoryBytes(stopped.guestMemory.bytes);
    phases.end();

    phases.begin('resume');
    if (options.checkDeviceBytes === true) for (const dev of devs) dev.stats.checkAnnounced(dev.name);
    for (const dev of devs) {
      dev.d.loadCleanup();
      dev.step('destination', 'load_cleanup');
    }
    const destinationVm = guest.resume(() => {
      // vm_state_notify on start: every prepare handler (P2P devices), then every main one, in order
      for (const [i, dev] of devs.entries()) {
        if (!dev.d.hasP2p) continue;
        options.onDeviceStart?.(i);
        dev.d.vmStateChangePrepare();
        dev.step('destination', 'vm_start prepare');
      }
      for (const [i, dev] of devs.entries()) {
        if (!dev.d.hasP2p) options.onDeviceStart?.(i);
        dev.d.vmStateChange(true);
        dev.step('destination', 'vm_start');
      }
      switchedOver = true;
    });
    const downtimeUs = clock.now() - stoppedAt;
    phases.end();

    phases.begin('cleanup');
    for (const dev of devs) {
      dev.s.saveCleanup();
      dev.step('source', 'save_cleanup');
    }
    phases.end();

    const first = devs[0];
    const devices = devs.map((d) => d.report());
    return {
      destination: destinationVm,
      report: {
        protocol: 'v2',
        devices,
        phases: phases.list,
        ...sumSectionTotals(devices),
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
        destinationStartPath:
          first === undefined
            ? []
            : [
                VFIO_DEVICE_STATE_RESUMING,
                ...vfioMigPath(first.d.migrationFlags, VFIO_DEVICE_STATE_RESUMING, VFIO_DEVICE_STATE_RUNNING),
              ].map(migStateName),
      },
    };
  } catch (e) {
    if (!switchedOver) cancel(devs, vm, guest, stoppedAt !== undefined);
    throw e;
  } finally {
    // vfio_migration_exit: each client gives its buffers back (after cleanup, or after the cancel)
    for (const dev of devs) closeClients(dev);
  }
}

/** Close both clients of `dev` (errors swallowed: the migration's own outcome is the one reported). */
function closeClients(dev: V2Device): void {
  for (const client of [dev.s, dev.d]) {
    try {
      client.close();
    } catch {
      // a data fd already gone; the buffers are freed regardless
    }
  }
}

/** One device's pair of v2 clients. */
type V2Device = MigratingDevice<QemuV2Client, void>;

/**
 * How v2 clients are read and counted: GET MIG_DEVICE_STATE, and a section's device bytes are the
 * payloads of its DATA records.
 */
const V2_PROTOCOL: MigratingDeviceProtocol<QemuV2Client, void> = {
  readState,
  deviceBytes: (section) => dataBytesOf(section),
  firstStep: 'realize',
};

function openDevice(
  src: VfioPciDevice,
  dst: VfioPciDevice,
  switchoverAck: boolean,
  ctx: MigrationContext,
  onReset: (side: 'source' | 'destination', cause: KernelError) => void,
): V2Device {
  const s = openQemuV2Client(src, { switchoverAck, onReset: (cause) => onReset('source', cause) });
  const d = openQemuV2Client(dst, { switchoverAck, onReset: (cause) => onReset('destination', cause) });
  return migratingDevice(src, dst, s, d, ctx, V2_PROTOCOL);
}

/**
 * QEMU's failure path on the source, in its order: dirty tracking stops; if the VM was stopped, its
 * devices are set RUNNING (the VM-state handler; hisi_acc restarts the paused VF) and the vCPUs
 * start; save_cleanup closes each data fd; the failure notifier sets RUNNING (a device still in
 * PRE_COPY leaves it, which ends the session). The destination closes its data fds and its QEMU exits.
 * Errors here are swallowed: the migration's own error is the one reported.
 */
function cancel(devs: readonly V2Device[], vm: Vm, guest: GuestMigration | undefined, stopped: boolean) {
  guest?.abort();
  const attempt = (step: () => void): void => {
    try {
      step();
    } catch {
      // the first error is the one to report; the device may already be in the error state
    }
  };
  if (stopped) {
    for (const dev of devs) if (dev.s.hasP2p) attempt(() => dev.s.vmStateChangePrepare());
    for (const dev of devs) attempt(() => dev.s.vmStateChange(true));
  }
  vm.start();
  for (const dev of devs) attempt(() => dev.s.saveCleanup());
  for (const dev of devs) attempt(() => dev.s.migrationFailed());
  for (const dev of devs) attempt(() => dev.d.loadCleanup());
  guest?.discardDestination();
}

/**
 * QEMU's multiple-devices blocker: more than one migratable VFIO device, and not all of them with
 * VFIO_MIGRATION_P2P (without it there is no prepare pass to quiesce every device before any stops).
 * A single device is always allowed.
 *
 * VMM counterpart: `vfio_multiple_devices_migration_is_supported` / `vfio_block_multiple_devices_migration`
 * (hw/vfio/migration.c, QEMU 8.1+).
 * @throws KernelError EOPNOTSUPP with QEMU's message when blocked (nothing touched).
 */
export function checkMultipleDevices(vm: Vm): void {
  const devices = vm.devices;
  if (devices.length <= 1) return;
  const withoutP2p = devices.filter((d) => (d.handle.getMigrationFlags() & VFIO_MIGRATION_P2P) === 0);
  if (withoutP2p.length > 0)
    throw new KernelError(
      'EOPNOTSUPP',
      `${vm.name}: Multiple VFIO devices migration is supported only if all of them support P2P migration (${withoutP2p.map((d) => d.host.name).join(', ')} without P2P)`,
    );
}

/**
 * The device-data bytes (DATA record payloads) of one vfio section. A CONFIG section carries none:
 * its payload is the emulated config, so the walk stops at its tag.
 */
function dataBytesOf(section: Uint8Array): number {
  const r = new QemuFileReader(section);
  let total = 0;
  while (r.remaining > 0) {
    const tag = r.getBe64();
    if (tag === VFIO_MIG_FLAG_DEV_CONFIG_STATE) return total;
    if (tag !== VFIO_MIG_FLAG_DEV_DATA_STATE) continue;
    const size = Number(r.getBe64());
    r.getBuffer(size);
    total += size;
  }
  return total;
}

/** VFIO_DEVICE_FEATURE GET MIG_DEVICE_STATE after a client step (traced as an instant). */
function readState(client: QemuV2Client, tracer: Tracer, device: string, step: string): DeviceStateStep {
  const state = client.handle.getMigState();
  return deviceStateStep(tracer, device, step, state, migStateName(state));
}
