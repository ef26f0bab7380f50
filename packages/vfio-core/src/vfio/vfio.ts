import { KernelError, type Process } from '@vfio-sim/platform';
import { VfioDeviceHandle } from '../client/device-handle.js';
import type { PciBus } from '../pci/pci-dev.js';
import { vfioDeviceFopsCdevOpen, vfioDeviceOpenFile } from './device-fd.js';
import type { VfioDevice, VfioRegistry } from './vfio-device.js';

const instances = new WeakMap<PciBus, Vfio>();

/**
 * The vfio subsystem of one simulated host: the registered devices (what `/dev/vfio` offers) and how a
 * process gets a device fd. {@link Vfio.of} returns the host's instance; vfio-pci-core registers devices
 * there, a VMM opens them with {@link openDevice}.
 *
 * Kernel counterpart: `vfio_register_group_dev` / `vfio_unregister_group_dev`, `VFIO_GROUP_GET_DEVICE_FD`
 * (device lookup by name or the driver's `match`) in drivers/vfio/{vfio_main,group}.c, and the device
 * cdev (`/dev/vfio/devices/vfioX`, drivers/vfio/device_cdev.c). Groups and containers are collapsed into
 * the one lookup; the cdev fd is bound to iommufd by VFIO_DEVICE_BIND_IOMMUFD.
 */
export class Vfio implements VfioRegistry {
  private readonly devices = new Map<string, VfioDevice>();

  private constructor(readonly host: PciBus) {}

  /** The vfio instance of `host` (created on first use). */
  static of(host: PciBus): Vfio {
    let v = instances.get(host);
    if (v === undefined) {
      v = new Vfio(host);
      instances.set(host, v);
    }
    return v;
  }

  /**
   * `vfio_register_group_dev`: make the device available to user space.
   * @throws KernelError EEXIST if a device of that name is registered, EBUSY if registered elsewhere.
   */
  registerDevice(device: VfioDevice): void {
    if (device.vfio !== undefined) throw new KernelError('EBUSY', `${device.name} is already registered`);
    if (this.devices.has(device.name))
      throw new KernelError('EEXIST', `${device.name} is already registered`);
    this.devices.set(device.name, device);
    device.vfio = this;
  }

  /**
   * `vfio_unregister_group_dev`: withdraw the device. While fds are open the driver's `request` op is
   * asked to get them closed (the kernel then waits); if they stay open the model refuses with EBUSY and
   * the device stays registered.
   */
  unregisterDevice(device: VfioDevice): void {
    if (this.devices.get(device.name) !== device) return;
    if (device.openCount > 0) device.ops.request?.(device, 0);
    if (device.openCount > 0) {
      throw new KernelError('EBUSY', `${device.name}: ${device.openCount} device fd(s) still open`);
    }
    this.devices.delete(device.name);
    device.vfio = undefined;
  }

  /** Registered devices, by name. */
  list(): VfioDevice[] {
    return [...this.devices.values()];
  }

  /**
   * The device user space means by `buf` (the driver's `match` op if it has one, else the name).
   * @throws KernelError ENODEV
   */
  lookup(buf: string): VfioDevice {
    for (const d of this.devices.values()) {
      const match = d.ops.match;
      if (match !== undefined ? match.call(d.ops, d, buf) : d.name === buf) return d;
    }
    throw new KernelError('ENODEV', `no vfio device "${buf}" on ${this.host.name}`);
  }

  /**
   * `VFIO_GROUP_GET_DEVICE_FD`: open the device and install the fd in `process`.
   * @throws KernelError ENODEV, or the driver's open_device error.
   */
  getDeviceFd(process: Process, buf: string): number {
    return process.install(vfioDeviceOpenFile(this.lookup(buf)));
  }

  /**
   * Open the device from `process` on the legacy path and wrap the fd in an ioctl-shaped client handle
   * (usable at once, no iommufd binding).
   */
  openDevice(process: Process, buf: string): VfioDeviceHandle {
    return new VfioDeviceHandle(process, this.getDeviceFd(process, buf), buf);
  }

  /**
   * `open("/dev/vfio/devices/vfioX")`: open the device's cdev in `process` (looked up by name, as
   * {@link lookup}) and return the fd. The fd is unusable (EINVAL) until VFIO_DEVICE_BIND_IOMMUFD with an
   * iommufd fd of the same process; the device is opened by that bind, not here.
   *
   * Kernel counterpart: `vfio_device_fops_cdev_open` (drivers/vfio/device_cdev.c).
   * @throws KernelError ENODEV
   */
  openDeviceCdevFd(process: Process, buf: string): number {
    return process.install(vfioDeviceFopsCdevOpen(this.lookup(buf)));
  }

  /**
   * Open the device's cdev from `process` (see {@link openDeviceCdevFd}) as a client handle; call
   * `bindIommufd(iommufdFd)` on it before anything else.
   */
  openDeviceCdev(process: Process, buf: string): VfioDeviceHandle {
    return new VfioDeviceHandle(process, this.openDeviceCdevFd(process, buf), buf);
  }
}
