import { deviceStateName, QemuFileReader, QemuFileWriter, type QemuV1Client } from '@vfio-sim/migration-v1';
import type { GuestVfDriver } from '@vfio-sim/qm-hw';
import { attachVf, resumeGuestVfDriver, type VfPassthrough } from '../guest/vf-passthrough.js';
import { Vm } from '../guest/vm.js';
import type { Host } from '../host/host.js';
import { copyGuestMemory, type GuestMemoryCopy } from './guest-memory-copy.js';
import { MigrationLink } from './link.js';
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
  readonly guestMemory: GuestMemoryCopy;
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
 * 2. pre-copy — iterations while the device reports pending bytes (the hisi driver's match data,
 *    checked by the destination on arrival), the guest still running;
 * 3. stop — the vCPUs stop, then the device (pre-copy → stop-and-copy: the driver pauses the VF and
 *    saves its state);
 * 4. stop-and-copy — save_live_complete moves the saved state (→ STOP);
 * 5. guest memory — every touched page and the vCPU state (queued interrupts) go across; guest
 *    memory is copied whole here because there is no dirty tracking yet;
 * 6. resume — the guest driver is rebuilt from the copied RAM, vm_start (RESUMING → RUNNING: the
 *    driver restores the registers and restarts the queues), the vCPUs start.
 *
 * `device_state` is read back after every step. If any step fails before the switch-over the
 * migration is cancelled: the source device goes back to RUNNING and the source VM runs again.
 *
 * VMM counterpart: QEMU's `migrate` with hw/vfio/migration.c (v1) and RAM migration without dirty
 * logging.
 * @throws KernelError from the failing step, after the cancel.
 */
export function liveMigrateV1(options: LiveMigrationV1Options): LiveMigrationV1Result {
  const { source, destination } = options;
  const vm = source.vm;
  const clock = vm.clock;
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
    end();

    begin('pre-copy');
    const maxIterations = options.maxPrecopyIterations ?? 8;
    let precopyIterations = 0;
    while (precopyIterations < maxIterations && s.savePending() > 0) {
      section((w) => s.saveIterate(w).bytes);
      precopyIterations++;
      sourceStates.push(readState(s, 'save_live_iterate'));
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
    const guestMemory = copyGuestMemory(vm.memory, dstVm.memory);
    const vcpu = vm.saveVcpu();
    dstVm.loadVcpu(vcpu);
    link.send(guestMemory.bytes);
    phase.guestMemoryBytes += guestMemory.bytes;
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
        pendingIrqsMoved: vcpu.pendingIrqs.length,
        precopyIterations,
        downtimeUs,
        totalUs: clock.now() - t0,
      },
    };
  } catch (e) {
    if (!switchedOver) {
      // QEMU's migration failure path: the source device and vCPUs run again. A failing cancel
      // must not hide the original error.
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
