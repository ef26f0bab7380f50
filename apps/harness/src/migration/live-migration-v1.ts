import { deviceStateName, QemuFileReader, QemuFileWriter, type QemuV1Client } from '@vfio-sim/migration-v1';
import type { Tracer } from '@vfio-sim/platform';
import { deviceStateStep } from './device-state-step.js';
import { GuestMigration } from './guest-migration.js';
import { MigrationLink } from './link.js';
import type { LiveMigrationOptions } from './live-migration-options.js';
import { MigrationPhases } from './migration-phases.js';
import type { DeviceStateStep, LiveMigrationReport, LiveMigrationResult } from './migration-report.js';
import { checkRamPrecopyOptions } from './ram-precopy.js';
import { openQemuV1Client } from './v1-region.js';
import { VfioSectionStats } from './vfio-section-stats.js';

/** What a v1 live migration did. */
export interface LiveMigrationV1Report extends LiveMigrationReport {
  readonly protocol: 'v1';
}

/** Options of {@link liveMigrateV1}. */
export interface LiveMigrationV1Options extends LiveMigrationOptions {
  /** Pre-copy iterations at most while the device still reports pending bytes (default 8). */
  readonly maxPrecopyIterations?: number;
}

/** The destination side after a successful v1 migration, and the report. */
export type LiveMigrationV1Result = LiveMigrationResult<LiveMigrationV1Report>;

/**
 * Live-migrate a VM with a hisi accelerator VF over the v1 migration region, driven by QEMU's v1
 * client on both hosts:
 *
 * 1. setup — the destination VM waits (`-incoming`) with the destination VF attached; load_setup
 *    (RUNNING → RESUMING) there, save_setup (RUNNING → pre-copy) here;
 *    and guest RAM dirty tracking starts (the CPU log and the source IOMMU's dirty bits, cleared);
 * 2. pre-copy — iterations while the device reports pending bytes (the hisi driver's match data,
 *    checked by the destination on arrival), then RAM rounds ({@link RamPrecopy}): every touched page,
 *    then the pages found dirty, until the rest fits the downtime limit — the guest and its VF
 *    running all along (each round's transfer time passes on the clock);
 * 3. stop — the vCPUs stop, then the device (pre-copy → stop-and-copy: the driver pauses the VF, its
 *    cache write-back DMAs into guest RAM, and it saves its state);
 * 4. stop-and-copy — save_live_complete moves the saved state (→ STOP);
 * 5. guest memory — the final dirty sync (both sources) and the remaining dirty pages (with
 *    `precopy: false`: every touched page), and the vCPU state (queued interrupts); then source and
 *    destination RAM are compared page by page ({@link RamMigrationReport.check});
 * 6. resume — the guest driver is rebuilt from the copied RAM, vm_start (RESUMING → RUNNING: the
 *    driver restores the registers and restarts the queues), the vCPUs start.
 *
 * `device_state` is read back after every step. If any step fails before the switch-over the
 * migration is cancelled: the source device goes back to RUNNING and the source VM runs again.
 *
 * VMM counterpart: QEMU's `migrate` with hw/vfio/migration.c (v1), RAM migration (migration/ram.c)
 * and the iommufd dirty tracking of hw/vfio/iommufd.c.
 * @throws KernelError EINVAL for bad RAM options, EOPNOTSUPP for pre-copy when the source IOMMU cannot
 *   track dirty pages (both before anything is touched); from the failing step, after the cancel.
 */
export function liveMigrateV1(options: LiveMigrationV1Options): LiveMigrationV1Result {
  const { source, destination } = options;
  const vm = source.vm;
  const clock = vm.clock;
  const precopy = options.precopy ?? true;
  if (precopy) {
    checkRamPrecopyOptions(options.ram);
    GuestMigration.checkDirtyTracking(options);
  }
  const link = options.link ?? new MigrationLink(clock);
  const t0 = clock.now();
  const s = openQemuV1Client(source.host);
  const d = openQemuV1Client(destination);
  const tracer = source.host.tracer;
  const dstTracer = destination.tracer;
  const sourceStates: DeviceStateStep[] = [readState(s, tracer, 'open')];
  const destinationStates: DeviceStateStep[] = [readState(d, dstTracer, 'open')];
  const phases = new MigrationPhases(clock, tracer);
  const stats = new VfioSectionStats(link, phases);

  /** One vfio section: written by `save` on the source, sent, loaded on the destination. */
  const section = (save: (w: QemuFileWriter) => number): void => {
    const w = new QemuFileWriter();
    stats.sent(save(w), w.size);
    const r = new QemuFileReader(w.toBytes());
    while (r.remaining > 0) stats.loaded(d.loadState(r));
  };

  let guest: GuestMigration | undefined;
  let switchedOver = false;
  try {
    phases.begin('setup');
    guest = new GuestMigration(options, link);
    d.loadSetup();
    destinationStates.push(readState(d, dstTracer, 'load_setup'));
    section((w) => {
      s.saveSetup(w);
      return 0;
    });
    sourceStates.push(readState(s, tracer, 'save_setup'));
    if (precopy) guest.startRamPrecopy(tracer);
    phases.end();

    phases.begin('pre-copy');
    const maxIterations = options.maxPrecopyIterations ?? 8;
    let precopyIterations = 0;
    while (precopyIterations < maxIterations && s.savePending() > 0) {
      section((w) => s.saveIterate(w).bytes);
      precopyIterations++;
      sourceStates.push(readState(s, tracer, 'save_live_iterate'));
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
    s.vmStop();
    sourceStates.push(readState(s, tracer, 'vm_stop'));
    phases.end();

    phases.begin('stop-and-copy');
    section((w) => s.saveComplete(w));
    sourceStates.push(readState(s, tracer, 'save_live_complete_precopy'));
    phases.end();

    phases.begin('guest memory');
    const stopped = guest.copyStopped();
    phases.addGuestMemoryBytes(stopped.guestMemory.bytes);
    phases.end();

    phases.begin('resume');
    const driver = guest.resume(() => {
      d.vmStart();
      switchedOver = true;
      destinationStates.push(readState(d, dstTracer, 'vm_start'));
    });
    const downtimeUs = clock.now() - stoppedAt;
    phases.end();

    return {
      destination: guest.destination,
      driver,
      report: {
        protocol: 'v1',
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
      },
    };
  } catch (e) {
    if (!switchedOver) {
      // QEMU's migration failure path: dirty tracking stops, the source device and vCPUs run again.
      // A failing cancel must not hide the original error.
      guest?.abort();
      try {
        s.cancel();
      } catch {
        // the first error is the one to report; the device may already be in the error state
      }
      vm.start();
    }
    throw e;
  }
}

/** The v1 region's `device_state` after a client step (traced as an instant). */
function readState(client: QemuV1Client, tracer: Tracer, step: string): DeviceStateStep {
  const state = client.deviceState();
  return deviceStateStep(tracer, step, state, deviceStateName(state));
}
