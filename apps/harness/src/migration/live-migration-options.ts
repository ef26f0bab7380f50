import type { GuestVfDriver } from '@vfio-sim/qm-hw';
import type { DirtySyncOptions } from '../dirty/dirty-sync.js';
import type { VfPassthrough } from '../guest/vf-passthrough.js';
import type { Host } from '../host/host.js';
import type { MigrationLink } from './link.js';
import type { RamPrecopyOptions } from './ram-precopy.js';

/**
 * Options of a live migration, whichever device protocol moves the VF ({@link liveMigrateV1},
 * {@link liveMigrateV2} add their own).
 *
 * VMM counterpart: QEMU's `migrate` command with its migration parameters and capabilities.
 */
export interface LiveMigrationOptions {
  /** The running VM's VF on the source host. */
  readonly source: VfPassthrough;
  /** Where the VM goes: its VF 0 becomes the VM's VF. */
  readonly destination: Host;
  /** The channel (default: 10 Gbit/s on the source's clock). */
  readonly link?: MigrationLink;
  /**
   * Guest RAM by iterative pre-copy with dirty tracking (default true); false copies every touched
   * page while the VM is stopped (no dirty tracking). With v2 the device's pre-copy runs either way.
   */
  readonly precopy?: boolean;
  /**
   * Downtime limit and round limit of the RAM pre-copy (v2: the iteration limit, RAM rounds and
   * device iterations running together).
   */
  readonly ram?: RamPrecopyOptions;
  /** Dirty sources the pre-copy reads (default both; for tests that switch one off). */
  readonly dirtySources?: DirtySyncOptions['sources'];
  /** Called just before the VM stops, while it still runs. */
  readonly beforeStop?: () => void;
  /** Called with the guest's driver resumed on the destination, before its vCPUs start. */
  readonly onGuestResumed?: (driver: GuestVfDriver) => void;
}
