import { copyMinFromUser, iommufdCtxFromFile } from '@vfio-sim/iommufd';
import { KernelError, type KernelFile, type Task } from '@vfio-sim/platform';
import {
  VFIO_DEVICE_ATTACH_PASID,
  VFIO_DEVICE_DETACH_PASID,
  vfio_device_attach_iommufd_pt,
  vfio_device_bind_iommufd,
  vfio_device_detach_iommufd_pt,
} from '../uapi/device-cdev.js';
import { type VfioDeviceFile, vfioDfClose, vfioDfOpen } from './device-file.js';

/** `minsz` of each command: offsetofend of its last required field. */
const BIND_MINSZ = 16; // out_devid
const ATTACH_MINSZ = 12; // pt_id
const DETACH_MINSZ = 8; // flags

/**
 * VFIO_DEVICE_BIND_IOMMUFD on a device cdev fd (kernel `vfio_df_ioctl_bind_iommufd`,
 * drivers/vfio/device_cdev.c): checks in the kernel's order — `argsz < 16`, `flags != 0` or a negative
 * `iommufd` → EINVAL; a legacy (group) fd → EINVAL; already bound → EINVAL; `iommufd` not open in the
 * caller → EBADF; not an iommufd → EBADFD — then opens the device (`bind_iommufd`, `open_device`; the
 * cdev path refuses a device that is already open with EINVAL), writes `out_devid` back (EFAULT undoes
 * the open) and grants access. The binding holds a reference on the iommufd file until the cdev fd is
 * closed.
 * @throws KernelError EFAULT, EINVAL, EBADF, EBADFD, ENODEV, or the driver's error; nothing changes then.
 */
export function vfioDfIoctlBindIommufd(df: VfioDeviceFile, current: Task, arg: number): number {
  const device = df.device;
  const bind = copyMinFromUser(current.mm, vfio_device_bind_iommufd, arg, BIND_MINSZ);
  const iommufd = bind.iommufd | 0;
  if (bind.argsz < BIND_MINSZ || bind.flags !== 0 || iommufd < 0) {
    throw new KernelError(
      'EINVAL',
      `BIND_IOMMUFD argsz ${bind.argsz} flags 0x${bind.flags.toString(16)} fd ${iommufd}`,
    );
  }
  if (df.group) throw new KernelError('EINVAL', `${device.name}: BIND_IOMMUFD only on a device cdev fd`);
  if (df.accessGranted) throw new KernelError('EINVAL', `${device.name}: this cdev fd is already bound`);
  const file = fget(current, iommufd);
  const ictx = iommufdCtxFromFile(file);
  df.iommufd = ictx;
  df.iommufdFile = file;
  try {
    if (!device.registered) throw new KernelError('ENODEV', `${device.name} is no longer registered`);
    vfioDfOpen(df);
  } catch (e) {
    dropIommufd(df);
    throw e;
  }
  try {
    current.mm.writeU32(arg + 12, df.devid);
  } catch (e) {
    vfioDfClose(df);
    dropIommufd(df);
    throw e;
  }
  device.cdevOpened = true;
  df.accessGranted = true;
  return 0;
}

/**
 * The cdev fd is released (kernel `vfio_df_unbind_iommufd`): if it was bound, close the device (last
 * close → `close_device`, then `unbind_iommufd`) and drop the iommufd reference.
 */
export function vfioDfUnbindIommufd(df: VfioDeviceFile): void {
  if (!df.accessGranted) return;
  vfioDfClose(df);
  dropIommufd(df);
  df.device.cdevOpened = false;
  df.accessGranted = false;
}

/**
 * VFIO_DEVICE_ATTACH_IOMMUFD_PT (kernel `vfio_df_ioctl_attach_pt`): `argsz < 12` or unknown flags →
 * EINVAL, VFIO_DEVICE_ATTACH_PASID → EOPNOTSUPP (no `pasid_attach_ioas` modelled); then the driver's
 * `attach_ioas` (attach, or replace the current attachment) and `pt_id` is written back with the HWPT
 * attached; EFAULT there detaches.
 * @throws KernelError EFAULT, EINVAL, EOPNOTSUPP, ENOENT (no such IOAS/HWPT), or the vendor's refusal
 *   (EINVAL, e.g. a dirty-tracking HWPT on an IOMMU without dirty tracking).
 */
export function vfioDfIoctlAttachPt(df: VfioDeviceFile, current: Task, arg: number): number {
  const device = df.device;
  const attach = copyMinFromUser(current.mm, vfio_device_attach_iommufd_pt, arg, ATTACH_MINSZ);
  if (attach.argsz < ATTACH_MINSZ) throw new KernelError('EINVAL', `ATTACH_IOMMUFD_PT argsz ${attach.argsz}`);
  if ((attach.flags & ~VFIO_DEVICE_ATTACH_PASID) !== 0) {
    throw new KernelError('EINVAL', `ATTACH_IOMMUFD_PT flags 0x${attach.flags.toString(16)}`);
  }
  if ((attach.flags & VFIO_DEVICE_ATTACH_PASID) !== 0) {
    throw new KernelError('EOPNOTSUPP', `${device.name}: PASID attach is not modelled`);
  }
  const op = device.ops.attachIoas;
  if (op === undefined) throw new KernelError('EINVAL', `${device.name}: no attach_ioas op`);
  const ptId = op.call(device.ops, device, attach.pt_id);
  try {
    current.mm.writeU32(arg + 8, ptId);
  } catch (e) {
    device.ops.detachIoas?.(device);
    throw e;
  }
  return 0;
}

/**
 * VFIO_DEVICE_DETACH_IOMMUFD_PT (kernel `vfio_df_ioctl_detach_pt`): `argsz < 8` or unknown flags →
 * EINVAL, VFIO_DEVICE_DETACH_PASID → EOPNOTSUPP; then the driver's `detach_ioas` (a device that is not
 * attached stays as it is).
 * @throws KernelError EFAULT, EINVAL, EOPNOTSUPP
 */
export function vfioDfIoctlDetachPt(df: VfioDeviceFile, current: Task, arg: number): number {
  const device = df.device;
  const detach = copyMinFromUser(current.mm, vfio_device_detach_iommufd_pt, arg, DETACH_MINSZ);
  if (detach.argsz < DETACH_MINSZ) throw new KernelError('EINVAL', `DETACH_IOMMUFD_PT argsz ${detach.argsz}`);
  if ((detach.flags & ~VFIO_DEVICE_DETACH_PASID) !== 0) {
    throw new KernelError('EINVAL', `DETACH_IOMMUFD_PT flags 0x${detach.flags.toString(16)}`);
  }
  if ((detach.flags & VFIO_DEVICE_DETACH_PASID) !== 0) {
    throw new KernelError('EOPNOTSUPP', `${device.name}: PASID detach is not modelled`);
  }
  device.ops.detachIoas?.(device);
  return 0;
}

/** `fget(fd)` in the caller's fd table. @throws KernelError EBADF */
function fget(current: Task, fd: number): KernelFile<unknown> {
  const files = (current as Task & { file?: (fd: number) => KernelFile<unknown> }).file;
  if (typeof files !== 'function') throw new KernelError('EBADF', `fd ${fd}: the task has no fd table`);
  return files.call(current, fd);
}

/** `iommufd_ctx_put`: drop the binding's reference on the iommufd file. */
function dropIommufd(df: VfioDeviceFile): void {
  const file = df.iommufdFile;
  df.iommufd = undefined;
  df.iommufdFile = undefined;
  df.devid = 0;
  file?.put();
}
