import {
  anonInodeGetFile,
  type FileOperations,
  FMODE_LSEEK,
  FMODE_PREAD,
  FMODE_PWRITE,
  FMODE_READ,
  FMODE_WRITE,
  KernelError,
  type KernelFile,
} from '@vfio-sim/platform';
import {
  VFIO_DEVICE_ATTACH_IOMMUFD_PT,
  VFIO_DEVICE_BIND_IOMMUFD,
  VFIO_DEVICE_DETACH_IOMMUFD_PT,
  VFIO_DEVICE_FEATURE,
} from '../uapi/ioctl.js';
import {
  vfioDfIoctlAttachPt,
  vfioDfIoctlBindIommufd,
  vfioDfIoctlDetachPt,
  vfioDfUnbindIommufd,
} from './device-cdev.js';
import { vfioIoctlDeviceFeature } from './device-feature.js';
import { VfioDeviceFile, vfioDfClose, vfioDfOpen } from './device-file.js';
import type { VfioDevice } from './vfio-device.js';

/** `access_granted` check of every fops entry but BIND_IOMMUFD. @throws KernelError EINVAL */
function grantedDevice(df: VfioDeviceFile): VfioDevice {
  if (!df.accessGranted) {
    throw new KernelError('EINVAL', `${df.device.name}: device cdev fd not bound (VFIO_DEVICE_BIND_IOMMUFD)`);
  }
  return df.device;
}

/**
 * The device fd's file operations (kernel `vfio_device_fops`, drivers/vfio/vfio_main.c):
 * VFIO_DEVICE_BIND_IOMMUFD first; then, without `access_granted` (an unbound cdev fd), every ioctl,
 * read, write and mmap answers EINVAL; ATTACH/DETACH_IOMMUFD_PT on a cdev fd, VFIO_DEVICE_FEATURE by
 * vfio_main; every other ioctl, read, write and mmap go to the device's ops, and a missing one answers
 * EINVAL. Release: the legacy fd closes the device (last close → `close_device`), a cdev fd unbinds.
 */
export const VFIO_DEVICE_FOPS: FileOperations<VfioDeviceFile> = {
  read(file, current, buf, count, pos) {
    const device = grantedDevice(file.privateData);
    const read = device.ops.read;
    if (read === undefined) throw new KernelError('EINVAL', `${device.name}: no read op`);
    return read.call(device.ops, device, current, buf, count, pos ?? file.pos);
  },
  write(file, current, buf, count, pos) {
    const device = grantedDevice(file.privateData);
    const write = device.ops.write;
    if (write === undefined) throw new KernelError('EINVAL', `${device.name}: no write op`);
    return write.call(device.ops, device, current, buf, count, pos ?? file.pos);
  },
  ioctl(file, current, cmd, arg) {
    const df = file.privateData;
    if (cmd === VFIO_DEVICE_BIND_IOMMUFD) return vfioDfIoctlBindIommufd(df, current, arg);
    const device = grantedDevice(df);
    if (df.cdev) {
      if (cmd === VFIO_DEVICE_ATTACH_IOMMUFD_PT) return vfioDfIoctlAttachPt(df, current, arg);
      if (cmd === VFIO_DEVICE_DETACH_IOMMUFD_PT) return vfioDfIoctlDetachPt(df, current, arg);
    }
    if (cmd === VFIO_DEVICE_FEATURE) return vfioIoctlDeviceFeature(device, current, arg);
    const ioctl = device.ops.ioctl;
    if (ioctl === undefined) throw new KernelError('EINVAL', `${device.name}: no ioctl op`);
    return ioctl.call(device.ops, device, current, cmd, arg);
  },
  mmap(file, vma) {
    const device = grantedDevice(file.privateData);
    const mmap = device.ops.mmap;
    if (mmap === undefined) throw new KernelError('EINVAL', `${device.name}: no mmap op`);
    return mmap.call(device.ops, device, vma);
  },
  release(file) {
    const df = file.privateData;
    if (df.group) vfioDfClose(df);
    else vfioDfUnbindIommufd(df);
  },
};

const DEVICE_FMODE = FMODE_READ | FMODE_WRITE | FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE;

/**
 * Open a new device fd on the legacy path (kernel `vfio_device_open_file` for
 * VFIO_GROUP_GET_DEVICE_FD): the first open calls `open_device` (its error fails the open and leaves the
 * count unchanged); returns the file with one reference and access granted.
 * @throws KernelError ENODEV if the device is not registered, EBUSY while a device cdev fd holds the
 *   device open, or the driver's open error.
 */
export function vfioDeviceOpenFile(device: VfioDevice): KernelFile<VfioDeviceFile> {
  if (!device.registered) throw new KernelError('ENODEV', `${device.name} is not registered with vfio`);
  if (device.cdevOpened) {
    throw new KernelError('EBUSY', `${device.name} is opened through its device cdev (group path blocked)`);
  }
  const df = new VfioDeviceFile(device, true);
  vfioDfOpen(df);
  return anonInodeGetFile('vfio-device', VFIO_DEVICE_FOPS, df, DEVICE_FMODE);
}

/**
 * Open the device's cdev (`/dev/vfio/devices/vfioX`, kernel `vfio_device_fops_cdev_open`): a file with
 * no access until VFIO_DEVICE_BIND_IOMMUFD; the device itself is not opened yet.
 * @throws KernelError ENODEV if the device is not registered.
 */
export function vfioDeviceFopsCdevOpen(device: VfioDevice): KernelFile<VfioDeviceFile> {
  if (!device.registered) throw new KernelError('ENODEV', `${device.name} is not registered with vfio`);
  return anonInodeGetFile('vfio-device', VFIO_DEVICE_FOPS, new VfioDeviceFile(device, false), DEVICE_FMODE);
}
