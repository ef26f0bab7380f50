import type { IommufdCtx } from '@vfio-sim/iommufd';
import { KernelError, type KernelFile } from '@vfio-sim/platform';
import type { VfioDevice } from './vfio-device.js';

/**
 * One open device fd (kernel `struct vfio_device_file`): which device, how it was opened, and whether
 * it may be used. The legacy path (`Vfio.getDeviceFd`, the group's VFIO_GROUP_GET_DEVICE_FD) opens the
 * device at once and grants access; a device cdev fd (`Vfio.openDeviceCdevFd`) starts without access,
 * and VFIO_DEVICE_BIND_IOMMUFD opens the device and grants it.
 */
export class VfioDeviceFile {
  /** `access_granted`: every ioctl but BIND_IOMMUFD, and read/write/mmap, answer EINVAL until set. */
  accessGranted: boolean;
  /** `iommufd`: the context the cdev fd is bound to (between BIND_IOMMUFD and close). */
  iommufd: IommufdCtx | undefined = undefined;
  /** The iommufd file whose reference the binding holds (`iommufd_ctx_put` drops it). */
  iommufdFile: KernelFile<unknown> | undefined = undefined;
  /** `devid`: the iommufd device id of the binding. */
  devid = 0;

  constructor(
    readonly device: VfioDevice,
    /** True for the legacy (group) path — C: `df->group != NULL`; false for a device cdev fd. */
    readonly group: boolean,
  ) {
    this.accessGranted = group;
  }

  /** A device cdev fd (`!df->group`). */
  get cdev(): boolean {
    return !this.group;
  }
}

/**
 * `vfio_df_open`: count the open; the first one runs `bind_iommufd` (cdev fds) and `open_device`, and
 * a failure undoes both. Only the legacy path may open a device that is already open.
 * @throws KernelError EINVAL (cdev on an open device), ENODEV (no `bind_iommufd` op), or the ops' errors.
 */
export function vfioDfOpen(df: VfioDeviceFile): void {
  const device = df.device;
  if (device.openCount !== 0 && df.cdev) {
    throw new KernelError('EINVAL', `${device.name} is already open (the cdev path opens a device once)`);
  }
  device.openCount++;
  if (device.openCount !== 1) return;
  try {
    vfioDfDeviceFirstOpen(df);
  } catch (e) {
    device.openCount--;
    throw e;
  }
}

/** `vfio_df_device_first_open`: bind to iommufd (cdev), then `open_device`; unbind if that fails. */
function vfioDfDeviceFirstOpen(df: VfioDeviceFile): void {
  const device = df.device;
  const ictx = df.iommufd;
  if (ictx !== undefined) {
    const bind = device.ops.bindIommufd;
    if (bind === undefined) throw new KernelError('ENODEV', `${device.name}: no bind_iommufd op`);
    df.devid = bind.call(device.ops, device, ictx);
  }
  try {
    device.ops.openDevice?.(device);
  } catch (e) {
    if (ictx !== undefined) device.ops.unbindIommufd?.(device);
    throw e;
  }
}

/** `vfio_df_close`: the last close runs `close_device`, then `unbind_iommufd` for a cdev fd. */
export function vfioDfClose(df: VfioDeviceFile): void {
  const device = df.device;
  if (device.openCount === 0) return;
  device.openCount--;
  if (device.openCount !== 0) return;
  device.ops.closeDevice?.(device);
  if (df.iommufd !== undefined) device.ops.unbindIommufd?.(device);
}
