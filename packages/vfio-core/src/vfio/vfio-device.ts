import { KernelError } from '@vfio-sim/platform';
import { VFIO_MIGRATION_STOP_COPY } from '../uapi/device-feature.js';
import type { Vfio } from './vfio.js';
import type { VfioDeviceOps, VfioLogOps, VfioMigrationOps } from './vfio-device-ops.js';

/**
 * A device vfio exposes to user space (kernel `struct vfio_device`): its name, the ops table the device
 * fd dispatches to, the migration and DMA-logging ops with the migration flags, and the open count
 * (first open calls `open_device`, last close `close_device`).
 *
 * Drivers extend it (vfio-pci-core's {@link VfioPciCoreDevice} does, variant drivers extend that), as C
 * embeds `struct vfio_device` and uses `container_of`.
 */
export class VfioDevice {
  /** `migration_flags`: VFIO_MIGRATION_* the device supports (set before registration). */
  migrationFlags = 0;
  /** `mig_ops` (set before registration). */
  migOps: VfioMigrationOps | undefined = undefined;
  /** `log_ops` (set before registration). */
  logOps: VfioLogOps | undefined = undefined;
  /** `open_count`: open device fds. */
  openCount = 0;
  /** The vfio instance the device is registered with (undefined when not registered). */
  vfio: Vfio | undefined = undefined;

  constructor(
    /** `dev_name(device->dev)`: what user space asks for (e.g. `'0000:75:00.1'`). */
    readonly name: string,
    /** The ops table the device fd dispatches to. */
    public ops: VfioDeviceOps,
  ) {}

  /** Alias of {@link migrationFlags}. */
  get migFlags(): number {
    return this.migrationFlags;
  }

  set migFlags(flags: number) {
    this.migrationFlags = flags;
  }

  /** True while registered (`vfio_register_group_dev` done, not unregistered). */
  get registered(): boolean {
    return this.vfio !== undefined;
  }
}

/**
 * The registration checks on migration and logging ops (in vfio_pci_core_register_device): `mig_ops`
 * needs all three callbacks and VFIO_MIGRATION_STOP_COPY in `migration_flags`; `log_ops` needs all three.
 * @throws KernelError EINVAL
 */
export function vfioCheckMigrationOps(vdev: VfioDevice): void {
  const mig = vdev.migOps as Partial<VfioMigrationOps> | undefined;
  if (mig !== undefined) {
    if (
      typeof mig.migrationSetState !== 'function' ||
      typeof mig.migrationGetState !== 'function' ||
      typeof mig.migrationGetDataSize !== 'function'
    ) {
      throw new KernelError('EINVAL', `${vdev.name}: mig_ops lacks a callback`);
    }
    if ((vdev.migrationFlags & VFIO_MIGRATION_STOP_COPY) === 0) {
      throw new KernelError('EINVAL', `${vdev.name}: migration_flags lacks VFIO_MIGRATION_STOP_COPY`, {
        migrationFlags: vdev.migrationFlags,
      });
    }
  }
  const log = vdev.logOps as Partial<VfioLogOps> | undefined;
  if (
    log !== undefined &&
    (typeof log.logStart !== 'function' ||
      typeof log.logStop !== 'function' ||
      typeof log.logReadAndClear !== 'function')
  ) {
    throw new KernelError('EINVAL', `${vdev.name}: log_ops lacks a callback`);
  }
}
