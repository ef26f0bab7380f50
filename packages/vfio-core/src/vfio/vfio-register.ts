import type { PciBus } from '../pci/pci-dev.js';
import { Vfio } from './vfio.js';
import type { VfioDevice } from './vfio-device.js';

/**
 * `vfio_alloc_device` for a driver that builds its own {@link VfioDevice} subclass (an mdev driver):
 * the device's `init` op runs on the freshly constructed device. Throws what `init` throws (the device is
 * then not set up and must not be registered). vfio-pci-core drivers use `vfioInitDevice`, which also
 * completes the ops table per the ops style.
 *
 * Kernel counterpart: `vfio_alloc_device()` → `vfio_init_device()` → `ops->init` (drivers/vfio/vfio_main.c).
 */
export function vfioAllocDevice<D extends VfioDevice>(vdev: D): D {
  vdev.ops.init?.(vdev);
  return vdev;
}

/**
 * `vfio_put_device` (last reference): the device's `release` op runs. Kernel counterpart:
 * `vfio_put_device()` → `vfio_device_release()` → `ops->release`.
 */
export function vfioPutDevice(vdev: VfioDevice): void {
  vdev.ops.release?.(vdev);
}

/**
 * `vfio_register_emulated_iommu_dev`: make a device that does no DMA of its own through an IOMMU (an mdev
 * such as mtty, whose DMA — if any — goes through `vfio_pin_pages`) available to user space on `host`.
 * Groups are collapsed in the model, so this is the registration of {@link Vfio.registerDevice}; the
 * difference from a physical device is what the device lacks: no `pdev`, no IOMMU endpoint.
 *
 * Kernel counterpart: `vfio_register_emulated_iommu_dev()` (drivers/vfio/group.c, VFIO_EMULATED_IOMMU).
 * @throws KernelError EEXIST (a device of that name is registered), EBUSY (already registered).
 */
export function vfioRegisterEmulatedIommuDev(host: PciBus, vdev: VfioDevice): void {
  Vfio.of(host).registerDevice(vdev);
}

/**
 * `vfio_unregister_group_dev`: withdraw the device (the driver's `request` op is asked to get open fds
 * closed; while they stay open the model answers EBUSY and the device stays registered).
 */
export function vfioUnregisterGroupDev(vdev: VfioDevice): void {
  vdev.vfio?.unregisterDevice(vdev);
}
