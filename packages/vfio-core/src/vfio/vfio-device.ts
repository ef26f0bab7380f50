import type { DmaLoggingRange, IommufdCtx, IovaBitmap } from '@vfio-sim/iommufd';
import {
  type FilePosition,
  KernelError,
  type KernelFile,
  type MmioRegion,
  type Task,
  type VmArea,
} from '@vfio-sim/platform';
import { VFIO_MIGRATION_STOP_COPY } from '../uapi/device-feature.js';

/** Where a device is registered (implemented by `Vfio`). */
export interface VfioRegistry {
  /** `vfio_unregister_group_dev`. */
  unregisterDevice(device: VfioDevice): void;
}

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
  vfio: VfioRegistry | undefined = undefined;
  /** `cdev_opened`: a device cdev fd holds the device open (bound to iommufd); the legacy open is EBUSY. */
  cdevOpened = false;
  /**
   * `iommufd_device`: the binding made by the `bindIommufd` op (the context and the device id in it);
   * undefined when not bound.
   */
  iommufdDevice: VfioIommufdBinding | undefined = undefined;
  /** `iommufd_attached`: the bound device is attached to an IOAS or HWPT. */
  iommufdAttached = false;

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

  /** Set the `migration_flags` (VFIO_MIGRATION_*) the device reports. */
  set migFlags(flags: number) {
    this.migrationFlags = flags;
  }

  /** True while registered (`vfio_register_group_dev` done, not unregistered). */
  get registered(): boolean {
    return this.vfio !== undefined;
  }
}

/** A device's binding to an iommufd context (kernel `struct iommufd_device *`, as vfio holds it). */
export interface VfioIommufdBinding {
  readonly ictx: IommufdCtx;
  /** The device object id in `ictx` (`out_devid`). */
  readonly devId: number;
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

/**
 * A vfio bus driver's callbacks (kernel `struct vfio_device_ops`, include/linux/vfio.h). `D` is the
 * driver's device type (the struct that embeds `struct vfio_device`, reached in C with `container_of`).
 *
 * Every callback receives the device first, like the kernel's. Handlers that touch user memory get the
 * calling task (`current`) and user pointers. Failures are thrown as KernelError.
 *
 * What a missing callback means depends on the ops style (see `VfioOpsStyle` in vfio-pci-core): taken
 * literally (explicit), vfio_main answers EINVAL for a missing read/write/ioctl/mmap and skips the
 * others.
 */
export interface VfioDeviceOps<D extends VfioDevice = VfioDevice> {
  /** `name`: the driver name, for messages. */
  readonly name: string;
  /** `init`: called once after allocation (`vfio_alloc_device`), before registration. */
  init?(vdev: D): void;
  /** `release`: the device is being freed (after unregistration). */
  release?(vdev: D): void;
  /** `open_device`: the first device fd is being opened. Throw to refuse the open. */
  openDevice?(vdev: D): void;
  /** `close_device`: the last device fd was released. */
  closeDevice?(vdev: D): void;
  /** `read`: `count` bytes at `pos` (a device-fd offset) into user memory at `buf`; advances `pos`. */
  read?(vdev: D, current: Task, buf: number, count: number, pos: FilePosition): number;
  /** `write`: `count` bytes from user memory at `buf` to `pos`; advances `pos`. */
  write?(vdev: D, current: Task, buf: number, count: number, pos: FilePosition): number;
  /** `ioctl`: every device ioctl except VFIO_DEVICE_FEATURE (which vfio_main dispatches itself). */
  ioctl?(vdev: D, current: Task, cmd: number, arg: number): number;
  /** `mmap`: map part of a region; returns the mapping. */
  mmap?(vdev: D, vma: VmArea): MmioRegion;
  /** `request`: the kernel wants the device back (unregistration while open); `count` = times asked. */
  request?(vdev: D, count: number): void;
  /** `match`: does the user's device-name string `buf` name this device? */
  match?(vdev: D, buf: string): boolean;
  /**
   * `device_feature`: a VFIO_DEVICE_FEATURE index vfio_main does not handle itself. `arg` points at the
   * payload (after the 8-byte header), `argsz` is the payload size. Use `vfioCheckFeature`.
   */
  deviceFeature?(vdev: D, current: Task, flags: number, arg: number, argsz: number): number;
  /**
   * `bind_iommufd`: bind the device to `ictx` (VFIO_DEVICE_BIND_IOMMUFD, before `open_device`); returns
   * the device id. vfio-pci-core uses `vfioIommufdPhysicalBind`.
   */
  bindIommufd?(vdev: D, ictx: IommufdCtx): number;
  /** `unbind_iommufd`: undo `bind_iommufd` (after `close_device`), detaching first. */
  unbindIommufd?(vdev: D): void;
  /**
   * `attach_ioas`: attach to the IOAS or HWPT `ptId` (replacing a current attachment); returns the HWPT
   * id actually attached (an IOAS gets an automatic domain).
   */
  attachIoas?(vdev: D, ptId: number): number;
  /** `detach_ioas`: detach (the device becomes blocked); nothing when not attached. */
  detachIoas?(vdev: D): void;
}

/**
 * Migration v2 callbacks (kernel `struct vfio_migration_ops`). Set on the device (`vdev.migOps`) together
 * with `vdev.migrationFlags` before registration; all three are required and the flags must include
 * VFIO_MIGRATION_STOP_COPY, else registration fails with EINVAL.
 */
export interface VfioMigrationOps<D extends VfioDevice = VfioDevice> {
  /**
   * `migration_set_state`: move the device to `newState` (the value the user asked for, unvalidated).
   * Returns a new data file when the final arc starts a data transfer (the core installs it as an fd in
   * the caller and returns the number in `data_fd`), otherwise `undefined` (C: NULL). Throws on failure.
   */
  migrationSetState(vdev: D, newState: number): KernelFile<unknown> | undefined;
  /** `migration_get_state`: the current `enum vfio_device_mig_state`. */
  migrationGetState(vdev: D): number;
  /** `migration_get_data_size`: estimated bytes to complete STOP_COPY (`stop_copy_length`). */
  migrationGetDataSize(vdev: D): number;
}

/**
 * One IOVA range given to {@link VfioLogOps.logStart} (sorted by iova, non-overlapping): iommufd's
 * {@link DmaLoggingRange}, so a `DmaPageTracker` takes the ranges as they come.
 */
export type VfioLogRange = DmaLoggingRange;

/**
 * Device DMA dirty-logging callbacks (kernel `struct vfio_log_ops`). The core keeps no logging state:
 * drivers reject a second start themselves. All three are required if set.
 */
export interface VfioLogOps<D extends VfioDevice = VfioDevice> {
  /**
   * `log_start`: track DMA writes to `ranges`; `pageSize` is the user's hint. Returns the page size the
   * device chose (written back to the user).
   */
  logStart(vdev: D, ranges: readonly VfioLogRange[], pageSize: number): number;
  /** `log_stop`. */
  logStop(vdev: D): void;
  /** `log_read_and_clear`: set the bits of pages written in `[iova, iova + length)` and clear the log. */
  logReadAndClear(vdev: D, iova: number, length: number, dirty: IovaBitmap): void;
}
