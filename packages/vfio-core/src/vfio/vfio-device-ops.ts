import type { IovaBitmap } from '@vfio-sim/iommufd';
import type { FilePosition, KernelFile, MmioRegion, Task, VmArea } from '@vfio-sim/platform';
import type { VfioDevice } from './vfio-device.js';

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

/** One IOVA range given to {@link VfioLogOps.logStart} (sorted by iova, non-overlapping). */
export interface VfioLogRange {
  readonly iova: number;
  readonly length: number;
}

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
