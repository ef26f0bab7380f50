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
import { VFIO_DEVICE_FEATURE } from '../uapi/ioctl.js';
import { vfioIoctlDeviceFeature } from './device-feature.js';
import type { VfioDevice } from './vfio-device.js';

/**
 * The device fd's file operations (kernel `vfio_device_fops`, drivers/vfio/vfio_main.c):
 * VFIO_DEVICE_FEATURE is handled by vfio_main; every other ioctl, read, write and mmap go to the device's
 * ops, and a missing one answers EINVAL. Releasing the last fd calls `close_device`.
 */
export const VFIO_DEVICE_FOPS: FileOperations<VfioDevice> = {
  read(file, current, buf, count, pos) {
    const device = file.privateData;
    const read = device.ops.read;
    if (read === undefined) throw new KernelError('EINVAL', `${device.name}: no read op`);
    return read.call(device.ops, device, current, buf, count, pos ?? file.pos);
  },
  write(file, current, buf, count, pos) {
    const device = file.privateData;
    const write = device.ops.write;
    if (write === undefined) throw new KernelError('EINVAL', `${device.name}: no write op`);
    return write.call(device.ops, device, current, buf, count, pos ?? file.pos);
  },
  ioctl(file, current, cmd, arg) {
    const device = file.privateData;
    if (cmd === VFIO_DEVICE_FEATURE) return vfioIoctlDeviceFeature(device, current, arg);
    const ioctl = device.ops.ioctl;
    if (ioctl === undefined) throw new KernelError('EINVAL', `${device.name}: no ioctl op`);
    return ioctl.call(device.ops, device, current, cmd, arg);
  },
  mmap(file, vma) {
    const device = file.privateData;
    const mmap = device.ops.mmap;
    if (mmap === undefined) throw new KernelError('EINVAL', `${device.name}: no mmap op`);
    return mmap.call(device.ops, device, vma);
  },
  release(file) {
    vfioDeviceClose(file.privateData);
  },
};

/**
 * Open a new device fd (kernel `vfio_device_open_file`): the first open calls `open_device` (its error
 * fails the open and leaves the count unchanged); returns the file with one reference.
 * @throws KernelError ENODEV if the device is not registered, or the driver's open error.
 */
export function vfioDeviceOpenFile(device: VfioDevice): KernelFile<VfioDevice> {
  if (!device.registered) throw new KernelError('ENODEV', `${device.name} is not registered with vfio`);
  device.openCount++;
  if (device.openCount === 1) {
    try {
      device.ops.openDevice?.(device);
    } catch (e) {
      device.openCount--;
      throw e;
    }
  }
  return anonInodeGetFile(
    'vfio-device',
    VFIO_DEVICE_FOPS,
    device,
    FMODE_READ | FMODE_WRITE | FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE,
  );
}

/** The last reference of a device fd is gone (`vfio_device_fops_release`): last close → `close_device`. */
function vfioDeviceClose(device: VfioDevice): void {
  if (device.openCount === 0) return;
  device.openCount--;
  if (device.openCount === 0) device.ops.closeDevice?.(device);
}
