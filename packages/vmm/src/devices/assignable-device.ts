import type { IommuDevice } from '@vfio-sim/iommufd';
import type { DmaPort, Process } from '@vfio-sim/platform';
import type { PciDev, VfioDeviceHandle } from '@vfio-sim/vfio-core';
import type { DeviceModel } from './device-model.js';

/** How an assignable device reaches memory: through the host's IOMMU. */
export interface AssignableDma {
  /** The function as its IOMMU sees it (its stream; `dmaPort` translates through the attached domain). */
  readonly iommu: IommuDevice;
  /** Point the device model's DMA at `port` (the bus-level wiring behind the IOMMU). */
  setDmaPort(port: DmaPort): void;
}

/**
 * A device on a host that an administrator prepared for passthrough: bound to a vfio driver (a variant
 * driver written on vfio-core, vfio-pci itself, or an mdev driver), so a VMM can open its vfio device,
 * and wired so that its interrupts can be routed into a guest.
 *
 * Kernel/VMM counterpart: a device under `/sys/bus/pci/drivers/<vfio driver>/` with its
 * `/dev/vfio/devices/vfioN` cdev, or an mdev under `/sys/bus/mdev/devices/<uuid>` — what libvirt's
 * `<hostdev>` and QEMU's `-device vfio-pci,host=…` / `sysfsdev=…` name.
 */
export interface AssignableDevice {
  /** The host's name (for messages). */
  readonly hostName: string;
  /** The device's name: its PCI name (`DDDD:BB:DD.F`), or an mdev's UUID. */
  readonly name: string;
  /** What the VMM and the guest do with this kind of device. */
  readonly model: DeviceModel;
  /** The PCI function, for a physical device (undefined for an mdev): its driver's state is `pdev.drvdata`. */
  readonly pdev?: PciDev;
  /** The PCI device id the guest sees (its driver matches on it). */
  readonly deviceId: number;
  /**
   * Open the device's vfio fd in `process`: a physical device's cdev (bound to iommufd next), or an
   * emulated device through the group path.
   * @throws KernelError from the open.
   */
  open(process: Process): VfioDeviceHandle;
  /** DMA through the host's IOMMU, or undefined for a device that does no DMA (an mdev such as mtty). */
  readonly dma: AssignableDma | undefined;
  /**
   * Route the device's interrupts: `raise(vector)` for each MSI it signals, or undefined to disconnect.
   * (The model's stand-in for VFIO_DEVICE_SET_IRQS with irqfds into KVM.)
   */
  setInterruptHandler(raise: ((vector: number) => void) | undefined): void;
  /** The VM using it, or undefined when free. Set by the VMM that realizes it. */
  owner: string | undefined;
}
