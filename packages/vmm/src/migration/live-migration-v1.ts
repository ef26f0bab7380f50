import { deviceStateName, type QemuV1Client, type V1ConfigPlacement } from '@vfio-sim/migration-v1';
import type { Tracer } from '@vfio-sim/platform';
import type { VfioPciDevice } from '../devices/vfio-pci-device.js';
import { MigrationLink } from '../link/link.js';
import type {
  DeviceStateStep,
  LiveMigrationReport,
  LiveMigrationResult,
} from '../report/migration-report.js';
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
import { openQemuV1Client } from './vfio/v1-region.js';
import { sumSectionTotals } from './vfio/vfio-section-stats.js';

/** What a v1 live migration did. */
export interface LiveMigrationV1Report extends LiveMigrationReport {
  readonly protocol: 'v1';
}

/** Options of {@link liveMigrateV1}. */
export interface LiveMigrationV1Options extends LiveMigrationOptions {
  /** Pre-copy iterations at most while a device still reports pending bytes (default 8). */
  readonly maxPrecopyIterations?: number;
  /**
   * Where the QEMU of both sides puts each device's CONFIG section (default `save-state`, QEMU 6.0+;
   * `complete-precopy`, QEMU 5.2: at the start of stop-and-copy, before the device data).
   */
  readonly configPlacement?: V1ConfigPlacement;
}

/** The destination side after a successful v1 migration, and the report. */
export type LiveMigrationV1Result = LiveMigrationResult<LiveMigrationV1Report>;

/**
 * Live-migrate a VM over the v1 migration region, driven by QEMU's v1 client for every device on both
 * hosts:
 *
 * 1. setup — the destination VM waits (`-incoming`) with its devices realized; load_setup per device
 *    (RUNNING → RESUMING) there, save_setup per device (RUNNING → pre-copy) here; and guest RAM dirty
 *    tracking starts (the CPU log and the source IOMMU's dirty bits, cleared);
 * 2. pre-copy — iterations while a device reports pending bytes (the hisi driver's match data,
 *    checked by the destination on arrival), then RAM rounds ({@link RamPrecopy}): every touched page,
 *    then the pages found dirty, until the rest fits the downtime limit — the guest and its devices
 *    running all along (each round's transfer time passes on the clock);
 * 3. stop — the vCPUs stop, then each device (pre-copy → stop-and-copy: hisi_acc pauses the VF, its
 *    cache write-back DMAs into guest RAM, and it saves its state);
 * 4. stop-and-copy — save_live_complete moves each saved state (→ STOP);
 * 5. guest memory — the final dirty sync (both sources) and the remaining dirty pages (with
 *    `precopy: false`: every touched page), and the vCPU state (queued interrupts); then source and
 *    destination RAM are compared page by page ({@link RamMigrationReport.check});
 * 6. resume — the guest's drivers are resumed from the copied RAM, vm_start per device (RESUMING →
 *    RUNNING: hisi_acc restores the registers and restarts the queues), the vCPUs start.
 *
 * `device_state` is read back after every step. If any step fails before the switch-over the
 * migration is cancelled: the source devices go back to RUNNING, the source VM runs again, and the
 * destination QEMU exits.
 *
 * VMM counterpart: QEMU's `migrate` with hw/vfio/migration.c (v1), RAM migration (migration/ram.c)
 * and the iommufd dirty tracking of hw/vfio/iommufd.c.
 * @throws KernelError EINVAL for bad RAM options, EOPNOTSUPP for pre-copy when a device's IOMMU cannot
 *   track dirty pages (both before anything is touched); from the failing step, after the cancel.
 */
export function liveMigrateV1(options: LiveMigrationV1Options): LiveMigrationV1Result {
  const { source: vm, destination } = options;
  const clock = vm.clock;
  const precopy = options.precopy ?? true;
  const configPlacement = options.configPlacement ?? 'save-state';
  if (precopy) {
    checkRamPrecopyOptions(options.ram);
    GuestMigration.checkDirtyTracking(options);
  }
  const link = options.link ?? new MigrationLink(clock);
  const t0 = clock.now();
  const tracer = vm.host.tracer;
  const dstTracer = destination.tracer;
  const phases = new MigrationPhases(clock, tracer, options.onPhase);

  let guest: GuestMigration | undefined;
  let devs: V1Device[] = [];
  let switchedOver = false;
  try {
    phases.begin('setup');
    guest = new GuestMigration(options, link);
    devs = devicePairs(vm, guest.destination).map(({ src, dst }) =>
      openDevice(src, dst, configPlacement, { link, phases, tracer, dstTracer }),
    );
    for (const dev of devs) {
      dev.d.loadSetup();
      dev.step('destination', 'load_setup');
    }
    for (const dev of devs) {
      dev.section((w) => {
        dev.s.saveSetup(w);
        return 0;
      });
      dev.step('source', 'save_setup');
    }
    if (precopy) guest.startRamPrecopy(tracer);
    phases.end();

    phases.begin('pre-copy');
    const maxIterations = options.maxPrecopyIterations ?? 8;
    let precopyIterations = 0;
    while (precopyIterations < maxIterations && devs.some((d) => d.s.savePending() > 0)) {
      for (const dev of devs) {
        if (dev.s.savePending() === 0) continue;
        dev.section((w) => dev.s.saveIterate(w).bytes);
        dev.iterations++;
        dev.step('source', 'save_live_iterate');
      }
      precopyIterations++;
    }
    if (guest.ram !== undefined) {
      guest.ram.iterate();
      phases.addGuestMemoryBytes(guest.ram.precopyBytes);
    }
    phases.end();

    phases.begin('stop');
    options.beforeStop?.();
    const stoppedAt = clock.now();
    vm.stop();
    for (const dev of devs) {
      dev.s.vmStop();
      dev.step('source', 'vm_stop');
    }
    phases.end();

    phases.begin('stop-and-copy');
    for (const dev of devs) {
      dev.section((w) => dev.s.saveComplete(w));
      dev.step('source', 'save_live_complete_precopy');
    }
    // QEMU 6.0+: the non-iterable save_state handler, the CONFIG section after all device data
    if (configPlacement === 'save-state')
      for (const dev of devs)
        dev.section((w) => {
          dev.s.saveState(w);
          return 0;
        });
    if (options.checkDeviceBytes === true)
      for (const dev of devs) dev.stats.announce(dev.s.announcedBytes, 'pending_bytes');
    phases.end();

    phases.begin('guest memory');
    const stopped = guest.copyStopped();
    phases.addGuestMemoryBytes(stopped.guestMemory.bytes);
    phases.end();

    phases.begin('resume');
    if (options.checkDeviceBytes === true) for (const dev of devs) dev.stats.checkAnnounced(dev.name);
    const destinationVm = guest.resume(() => {
      for (const [i, dev] of devs.entries()) {
        options.onDeviceStart?.(i);
        dev.d.vmStart();
        dev.step('destination', 'vm_start');
      }
      switchedOver = true;
    });
    const downtimeUs = clock.now() - stoppedAt;
    phases.end();

    const devices = devs.map((d) => d.report());
    return {
      destination: destinationVm,
      report: {
        protocol: 'v1',
        devices,
        phases: phases.list,
        ...sumSectionTotals(devices),
        guestMemory: stopped.guestMemory,
        ram: guest.ramReport(stopped),
        pendingIrqsMoved: stopped.pendingIrqsMoved,
        precopyIterations,
        downtimeUs,
        totalUs: clock.now() - t0,
      },
    };
  } catch (e) {
    if (!switchedOver) {
      // QEMU's migration failure path: dirty tracking stops, the source devices and vCPUs run again,
      // the destination QEMU exits. A failing cancel must not hide the original error.
      guest?.abort();
      for (const dev of devs) {
        try {
          dev.s.cancel();
        } catch {
          // the first error is the one to report; the device may already be in the error state
        }
      }
      vm.start();
      guest?.discardDestination();
    }
    throw e;
  } finally {
    // vfio_migration_exit: each client gives its region accessor's memory back
    for (const dev of devs) {
      dev.s.close();
      dev.d.close();
    }
  }
}

/** One device's pair of v1 clients; a section's save returns its device bytes. */
type V1Device = MigratingDevice<QemuV1Client, number>;

/** How v1 clients are read and counted: `device_state` of the region, the bytes each save reports. */
const V1_PROTOCOL: MigratingDeviceProtocol<QemuV1Client, number> = {
  readState,
  deviceBytes: (_section, saved) => saved,
  firstStep: 'open',
};

function openDevice(
  src: VfioPciDevice,
  dst: VfioPciDevice,
  configPlacement: V1ConfigPlacement,
  ctx: MigrationContext,
): V1Device {
  const s = openQemuV1Client(src, configPlacement);
  const d = openQemuV1Client(dst, configPlacement);
  return migratingDevice(src, dst, s, d, ctx, V1_PROTOCOL);
}

/** The v1 region's `device_state` after a client step (traced as an instant). */
function readState(client: QemuV1Client, tracer: Tracer, device: string, step: string): DeviceStateStep {
  const state = client.deviceState();
  return deviceStateStep(tracer, device, step, state, deviceStateName(state));
}
