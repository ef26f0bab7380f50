import { KernelError } from '@vfio-sim/platform';
import type { VfioDeviceHandle, VfioUserMapping } from '@vfio-sim/vfio-core';
import type { Vm } from '../vm/vm.js';
import type { AssignableDevice } from './assignable-device.js';
import { DeviceDmaPort } from './device-dma-port.js';
import { EmulatedPciConfig } from './emulated-pci-config.js';
import { IommufdBackend, type VmHwpt } from './iommufd-backend.js';

/**
 * A host device passed through to a VM: QEMU's `vfio-pci` device. {@link realizeVfioPci} opens the
 * device's vfio cdev in the VM's QEMU, binds it to the VM's iommufd and attaches it to the HWPT of its
 * IOMMU (so every DMA is translated by the host's IO page table and sets its dirty bits), routes its
 * interrupts into the VM, and lets the device's model map what the guest sees.
 *
 * VMM counterpart: `VFIOPCIDevice` and `vfio_realize` / `vfio_exitfn` in hw/vfio/pci.c on the iommufd
 * backend (`iommufd_cdev_attach`, `vfio_region_mmap`, `VFIO_DEVICE_SET_IRQS`).
 */
export class VfioPciDevice {
  /** The VM's interrupt line of this device (its index in the VM's device list). */
  readonly line: number;
  /** Regions the VMM mmap'ed for the guest, by region index. */
  readonly mappings = new Map<number, VfioUserMapping>();
  /** The iommufd device id and HWPT (undefined for a device without DMA, e.g. an mdev on the group path). */
  readonly iommufd: { readonly devId: number; readonly hwpt: VmHwpt } | undefined;
  /** The device's config space as QEMU emulates it for the guest (carried by the CONFIG section). */
  readonly config: EmulatedPciConfig;
  /** The guest's driver for this device, once the guest probed it (or resumed it on a destination). */
  guest: unknown = undefined;
  private realized = true;

  /** Use {@link realizeVfioPci}. */
  constructor(
    readonly vm: Vm,
    readonly host: AssignableDevice,
    readonly handle: VfioDeviceHandle,
  ) {
    const dma = host.dma;
    if (dma !== undefined) {
      const backend = IommufdBackend.of(vm);
      const devId = handle.bindIommufd(backend.fd);
      const hwpt = backend.hwptFor(devId, dma.iommu.hw);
      handle.attachIommufdPt(hwpt.id);
      // The device's DMA goes through the IOMMU; the wrapper keeps it out of the vCPUs' dirty log.
      dma.setDmaPort(new DeviceDmaPort(dma.iommu.dmaPort, vm.dirtyLog));
      this.iommufd = { devId, hwpt };
    } else {
      this.iommufd = undefined;
    }
    // after the bind: a cdev fd answers only once bound (QEMU reads the config region at realize)
    this.config = new EmulatedPciConfig(handle);
    this.line = vm.addDevice(this);
    host.setInterruptHandler((vector) => vm.raiseIrq(this.line, vector));
  }

  /** The model's name (e.g. `hisi-acc-vf`). */
  get model(): string {
    return this.host.model.name;
  }

  /** Whether the device is still realized (not yet unrealized by the VM's quit). */
  get isRealized(): boolean {
    return this.realized;
  }

  /**
   * Map `length` bytes of region `index` for the guest (QEMU's `vfio_region_mmap`).
   * @throws KernelError from the mmap (e.g. EINVAL when the variant driver refuses the range).
   */
  mapRegion(index: number, length: number): VfioUserMapping {
    const mapping = this.handle.mmap(index, length);
    this.mappings.set(index, mapping);
    return mapping;
  }

  /**
   * QEMU's `vfio_exitfn`: the guest's driver for it halts (the model's `DeviceModel.haltGuest`), the interrupts are disconnected, the mappings dropped, the device fd closed
   * (the kernel detaches and unbinds it from iommufd), and the host device is free again. Idempotent.
   */
  unrealize(): void {
    if (!this.realized) return;
    this.realized = false;
    this.host.model.haltGuest?.(this);
    this.host.setInterruptHandler(undefined);
    this.vm.setInterruptHandler(this.line, undefined);
    for (const m of this.mappings.values()) m.munmap();
    this.mappings.clear();
    this.handle.close();
    this.host.owner = undefined;
  }
}

/**
 * Pass `host` (a device bound to a vfio driver) through to `vm` (QEMU `-device vfio-pci,host=…` on the
 * iommufd backend): see {@link VfioPciDevice}. The device's model then maps what the guest sees.
 * @throws KernelError EBUSY if another VM has the device; ESRCH if the VM quit; from an open,
 *   iommufd or mmap step (the device fd is closed again and the device stays free).
 */
export function realizeVfioPci(vm: Vm, host: AssignableDevice): VfioPciDevice {
  if (vm.hasQuit) throw new KernelError('ESRCH', `${vm.name}: the VM has quit`);
  if (host.owner !== undefined)
    throw new KernelError('EBUSY', `${host.hostName}: ${host.name} is already assigned to ${host.owner}`);
  const handle = host.open(vm.process);
  let dev: VfioPciDevice | undefined;
  try {
    dev = new VfioPciDevice(vm, host, handle);
    host.owner = vm.name;
    host.model.realize(dev);
    return dev;
  } catch (e) {
    if (dev !== undefined) {
      dev.unrealize();
      vm.removeDevice(dev);
    } else handle.close();
    throw e;
  }
}
