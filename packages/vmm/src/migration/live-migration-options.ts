import type { KernelError } from '@vfio-sim/platform';
import type { Host } from '../host/host.js';
import type { MigrationLink } from '../link/link.js';
import type { MigrationPhaseName } from '../report/migration-report.js';
import type { Vm } from '../vm/vm.js';
import type { DirtySyncOptions } from './ram/dirty-sync.js';
import type { RamPrecopyOptions } from './ram/ram-precopy.js';

/**
 * Options of a live migration, whichever device protocol moves the devices ({@link liveMigrateV1},
 * {@link liveMigrateV2} add their own).
 *
 * VMM counterpart: QEMU's `migrate` command with its migration parameters and capabilities, and the
 * destination QEMU started with `-incoming` on `destination`.
 */
export interface LiveMigrationOptions {
  /** The running VM on the source host, with its devices. */
  readonly source: Vm;
  /**
   * Where the VM goes: an incoming VM starts there and claims, for each source device, the first free
   * device of the same model.
   */
  readonly destination: Host;
  /** The channel (default: 10 Gbit/s on the source's clock). */
  readonly link?: MigrationLink;
  /**
   * Guest RAM by iterative pre-copy with dirty tracking (default true); false copies every touched
   * page while the VM is stopped (no dirty tracking). With v2 the devices' pre-copy runs either way.
   */
  readonly precopy?: boolean;
  /**
   * Downtime limit and round limit of the RAM pre-copy (v2: the iteration limit, RAM rounds and
   * device iterations running together).
   */
  readonly ram?: RamPrecopyOptions;
  /**
   * Opt-in, beyond upstream: the source announces each device's bytes as its kernel stated them (v2
   * MIG_DATA_SIZE, v1 the pending_bytes before its reads) on the link, and the destination, before it
   * starts the device, checks it loaded exactly that many (else EIO, and the source resumes). Default
   * false. For hisi_acc MIG_DATA_SIZE is the whole state (`sizeof(struct acc_vf_data)`), so a VF saved
   * as match data only (guest driver not started) is refused too.
   */
  readonly checkDeviceBytes?: boolean;
  /** Dirty sources the pre-copy reads (default both; for tests that switch one off). */
  readonly dirtySources?: DirtySyncOptions['sources'];
  /** Called just before the VM stops, while it still runs. */
  readonly beforeStop?: () => void;
  /**
   * Called with the destination VM once the guest's drivers were resumed there (each device's
   * `guest`), before its vCPUs start.
   */
  readonly onGuestResumed?: (vm: Vm) => void;
  /**
   * Called on the destination just before device `device` (its index in the VM) starts — where its
   * variant driver writes the loaded state into the hardware (v1: RESUMING → RUNNING; v2: the first
   * vm_state_notify handler of the device, RESUMING → STOP → RUNNING(_P2P)) — with the guest's drivers
   * resumed there and the vCPUs still stopped.
   */
  readonly onDeviceStart?: (device: number) => void;
  /** Called as each phase begins (before any of its work): where a test or a scenario arms a fault. */
  readonly onPhase?: (phase: MigrationPhaseName) => void;
  /**
   * Called when QEMU's recovery reset device `device` (its index in the VM) on `side` after a failed
   * state change (v2: `vfio_migration_set_state()` with recover state ERROR, or a failed recover), with
   * the error of that change. v1 has no reset path.
   */
  readonly onDeviceReset?: (device: number, side: 'source' | 'destination', cause: KernelError) => void;
}
