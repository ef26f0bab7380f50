import type { IoPgtableFormatName } from '@vfio-sim/iommufd';
import { deviceStateName, QemuFileReader, QemuFileWriter, type QemuV1Client } from '@vfio-sim/migration-v1';
import { KernelError, PAGE_SIZE } from '@vfio-sim/platform';
import type { GuestVfDriver } from '@vfio-sim/qm-hw';
import { DirtySync, type DirtySyncOptions } from '../dirty/dirty-sync.js';
import { attachVf, resumeGuestVfDriver, type VfPassthrough } from '../guest/vf-passthrough.js';
import { Vm } from '../guest/vm.js';
import type { Host } from '../host/host.js';
import { compareGuestMemory, type GuestMemoryComparison } from './guest-memory-compare.js';
import { copyGuestMemory, type GuestMemoryCopy } from './guest-memory-copy.js';
import { MigrationLink } from './link.js';
import {
  checkRamPrecopyOptions,
  RAM_DOWNTIME_LIMIT_US,
  RAM_MAX_ROUNDS,
  RamPrecopy,
  type RamPrecopyOptions,
  type RamRound,
} from './ram-precopy.js';
import { openQemuV1Client } from './v1-region.js';

/** The phases of a v1 live migration, in order. */
export type MigrationPhaseName = 'setup' | 'pre-copy' | 'stop' | 'stop-and-copy' | 'guest memory' | 'resume';

/** What one phase did and how long it took in virtual time. */
export interface MigrationPhase {
  readonly name: MigrationPhaseName;
  /** Virtual time at the start of the phase (µs). */
  readonly startUs: number;
  readonly durationUs: number;
  /** Device-state bytes the source put on the stream in this phase. */
  readonly deviceBytes: number;
  /** Guest RAM bytes sent in this phase. */
  readonly guestMemoryBytes: number;
}

/** `device_state` read back after one client step. */
export interface DeviceStateStep {
  /** The client step (QEMU's function name). */
  readonly step: string;
  /** The v1 `device_state` value read from the region. */
  readonly state: number;
  /** Its uAPI name (`running`, `pre-copy`, `stop-and-copy`, `stop`, `resuming`). */
  readonly name: string;
}

/** How guest RAM moved. */
export interface RamMigrationReport {
  /** `precopy`: iterative pre-copy with dirty tracking; `stop-and-copy`: every touched page while stopped. */
  readonly mode: 'precopy' | 'stop-and-copy';
  /** The source host's IOMMU format (whose dirty bits tracked the VF's DMA). */
  readonly iommuFormat: IoPgtableFormatName;
  readonly downtimeLimitUs: number;
  readonly maxRounds: number;
  /** Pre-copy rounds, then the round while stopped (empty in stop-and-copy mode). */
  readonly rounds: readonly RamRound[];
  /** Whether pre-copy ended under the downtime limit (false in stop-and-copy mode). */
  readonly converged: boolean;
  /** Bytes sent while the VM ran. */
  readonly precopyBytes: number;
  /** Bytes sent while the VM was stopped. */
  readonly stoppedBytes: number;
  /** Source RAM (at the switch-over, source stopped) against destination RAM (not yet started). */
  readonly check: GuestMemoryComparison;
}

/** What a v1 live migration did. */
export interface LiveMigrationV1Report {
  readonly sourceStates: readonly DeviceStateStep[];
  readonly destinationStates: readonly DeviceStateStep[];
  readonly phases: readonly MigrationPhase[];
  /** Device-state bytes read from the source region. */
  readonly deviceBytesSaved: number;
  /** Device-state bytes written to the destination region. */
  readonly deviceBytesLoaded: number;
  /** Bytes of the vfio sections of the stream (device state plus QEMU's framing). */
  readonly streamBytes: number;
  /** Guest RAM sent while the VM was stopped. */
  readonly guestMemory: GuestMemoryCopy;
  readonly ram: RamMigrationReport;
  /** Interrupts raised while the vCPUs were stopped, delivered on the destination. */
  readonly pendingIrqsMoved: number;
  readonly precopyIterations: number;
  /** From the VM's stop on the source to its start on the destination (µs). */
  readonly downtimeUs: number;
  readonly totalUs: number;
}

/** Options of {@link liveMigrateV1}. */
export interface LiveMigrationV1Options {
  /** The running VM's VF on the source host. */
  readonly source: VfPassthrough;
  /** Where the VM goes: its VF 0 becomes the VM's VF. */
  readonly destination: Host;
  /** The channel (default: 10 Gbit/s on the source's clock). */
  readonly link?: MigrationLink;
  /** Pre-copy iterations at most while the device still reports pending bytes (default 8). */
  readonly maxPrecopyIterations?: number;
  /**
   * Guest RAM by iterative pre-copy with dirty tracking (default true); false copies every touched
   * page while the VM is stopped (no dirty tracking).
   */
  readonly precopy?: boolean;
  /** Downtime limit and round limit of the RAM pre-copy. */
  readonly ram?: RamPrecopyOptions;
  /** Dirty sources the pre-copy reads (default both; for tests that switch one off). */
  readonly dirtySources?: DirtySyncOptions['sources'];
  /** Called just before the VM stops, while it still runs. */
  readonly beforeStop?: () => void;
  /** Called with the guest's driver resumed on the destination, before its vCPUs start. */
  readonly onGuestResumed?: (driver: GuestVfDriver) => void;
}

/** The destination side after a successful migration, and the report. */
export interface LiveMigrationV1Result {
  /** The VM's VF on the destination (its `vm` is the running destination VM). */
  readonly destination: VfPassthrough;
  /** The guest's VF driver, continuing on the destination. */
  readonly driver: GuestVfDriver;
  readonly report: LiveMigrationV1Report;
}

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
    // QEMU: no dirty tracking for the VF's DMA (neither IOMMU nor device logging) blocks a live
    // migration with pre-copy (the "None" mode would mark all mapped RAM dirty on every sync).
    if (!source.dma.dirtyTracking && (options.dirtySources?.iommu ?? true))
      throw new KernelError(
        'EOPNOTSUPP',
        `${source.host.name}: the VF's IOMMU cannot track dirty pages; RAM pre-copy is blocked`,
      );
  }
  const link = options.link ?? new MigrationLink(clock);
  const t0 = clock.now();
  const s = openQemuV1Client(source.host);
  const d = openQemuV1Client(destination);
  const sourceStates: DeviceStateStep[] = [readState(s, 'open')];
  const destinationStates: DeviceStateStep[] = [readState(d, 'open')];
  const phases: MigrationPhase[] = [];
  let deviceBytesSaved = 0;
  let deviceBytesLoaded = 0;
  let streamBytes = 0;

  let phase = { name: 'setup' as MigrationPhaseName, startUs: t0, deviceBytes: 0, guestMemoryBytes: 0 };
  const begin = (name: MigrationPhaseName): void => {
    phase = { name, startUs: clock.now(), deviceBytes: 0, guestMemoryBytes: 0 };
  };
  const end = (): void => {
    phases.push({ ...phase, durationUs: clock.now() - phase.startUs });
  };
  /** One vfio section: written by `save` on the source, sent, loaded on the destination. */
  const section = (save: (w: QemuFileWriter) => number): void => {
    const w = new QemuFileWriter();
    const bytes = save(w);
    deviceBytesSaved += bytes;
    phase.deviceBytes += bytes;
    streamBytes += w.size;
    link.send(w.size);
    const r = new QemuFileReader(w.toBytes());
    while (r.remaining > 0) deviceBytesLoaded += d.loadState(r);
  };

  let ram: RamPrecopy | undefined;
  let switchedOver = false;
  try {
    begin('setup');
    const dstVm = Vm.incoming({ name: vm.name, clock, memorySize: vm.memory.size });
    const dstVf = attachVf(dstVm, destination);
    d.loadSetup();
    destinationStates.push(readState(d, 'load_setup'));
    section((w) => {
      s.saveSetup(w);
      return 0;
    });
    sourceStates.push(readState(s, 'save_setup'));
    if (precopy) {
      const dirty = new DirtySync({
        vm,
        iommu: source.host.iommu,
        dma: source.dma,
        ...(options.dirtySources !== undefined ? { sources: options.dirtySources } : {}),
      });
      ram = new RamPrecopy(vm, dstVm, link, dirty, options.ram);
      ram.setup();
    }
    end();

    begin('pre-copy');
    const maxIterations = options.maxPrecopyIterations ?? 8;
    let precopyIterations = 0;
    while (precopyIterations < maxIterations && s.savePending() > 0) {
      section((w) => s.saveIterate(w).bytes);
      precopyIterations++;
      sourceStates.push(readState(s, 'save_live_iterate'));
    }
    if (ram !== undefined) {
      ram.iterate();
      phase.guestMemoryBytes += ram.precopyBytes;
    }
    end();

    begin('stop');
    options.beforeStop?.();
    const stoppedAt = clock.now();
    vm.stop();
    s.vmStop();
    sourceStates.push(readState(s, 'vm_stop'));
    end();

    begin('stop-and-copy');
    section((w) => s.saveComplete(w));
    sourceStates.push(readState(s, 'save_live_complete_precopy'));
    end();

    begin('guest memory');
    let guestMemory: GuestMemoryCopy;
    if (ram !== undefined) {
      const pages = ram.complete();
      guestMemory = { pages, bytes: pages * PAGE_SIZE };
    } else {
      guestMemory = copyGuestMemory(vm.memory, dstVm.memory);
      link.send(guestMemory.bytes);
    }
    const vcpu = vm.saveVcpu();
    dstVm.loadVcpu(vcpu);
    phase.guestMemoryBytes += guestMemory.bytes;
    const check = compareGuestMemory(vm.memory, dstVm.memory);
    end();

    begin('resume');
    const driver = resumeGuestVfDriver(dstVf);
    options.onGuestResumed?.(driver);
    d.vmStart();
    switchedOver = true;
    destinationStates.push(readState(d, 'vm_start'));
    dstVm.start();
    const downtimeUs = clock.now() - stoppedAt;
    end();

    return {
      destination: dstVf,
      driver,
      report: {
        sourceStates,
        destinationStates,
        phases,
        deviceBytesSaved,
        deviceBytesLoaded,
        streamBytes,
        guestMemory,
        ram: {
          mode: ram !== undefined ? 'precopy' : 'stop-and-copy',
          iommuFormat: source.host.iommu.format,
          downtimeLimitUs: ram?.downtimeLimitUs ?? options.ram?.downtimeLimitUs ?? RAM_DOWNTIME_LIMIT_US,
          maxRounds: ram?.maxRounds ?? options.ram?.maxRounds ?? RAM_MAX_ROUNDS,
          rounds: ram?.rounds ?? [],
          converged: ram?.converged ?? false,
          precopyBytes: ram?.precopyBytes ?? 0,
          stoppedBytes: guestMemory.bytes,
          check,
        },
        pendingIrqsMoved: vcpu.pendingIrqs.length,
        precopyIterations,
        downtimeUs,
        totalUs: clock.now() - t0,
      },
    };
  } catch (e) {
    if (!switchedOver) {
      // QEMU's migration failure path: dirty tracking stops, the source device and vCPUs run again.
      // A failing cancel must not hide the original error.
      ram?.abort();
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

function readState(client: QemuV1Client, step: string): DeviceStateStep {
  const state = client.deviceState();
  return { step, state, name: deviceStateName(state) };
}
