import type { PciDev, PciHost } from '@vfio-sim/vfio-core';
import type { DeviceModel } from './device-model.js';

/**
 * A device on a host that an administrator prepared for passthrough: bound to a vfio driver (a variant
 * driver written on vfio-core, or vfio-pci itself), so a VMM can open its vfio device, and wired so
 * that its interrupts can be routed into a guest.
 *
 * Kernel/VMM counterpart: a device under `/sys/bus/pci/drivers/<vfio driver>/` with its
 * `/dev/vfio/devices/vfioN` cdev — what libvirt's `<hostdev>` and QEMU's `-device vfio-pci,host=…` name.
 */
export interface AssignableDevice {
  /** The host's name (for messages). */
  readonly hostName: string;
  /** The PCI name (`DDDD:BB:DD.F`): what `-device vfio-pci,host=` names. */
  readonly name: string;
  /** What the VMM and the guest do with this kind of device. */
  readonly model: DeviceModel;
  /** The host's PCI topology and driver core (where the vfio device is opened). */
  readonly pci: PciHost;
  /** The PCI function, bound to its vfio driver. */
  readonly pdev: PciDev;
  /**
   * Route the device's interrupts: `raise(vector)` for each MSI it signals, or undefined to disconnect.
   * (The model's stand-in for VFIO_DEVICE_SET_IRQS with irqfds into KVM.)
   */
  setInterruptHandler(raise: ((vector: number) => void) | undefined): void;
  /** The VM using it, or undefined when free. Set by the VMM that realizes it. */
  owner: string | undefined;
}
