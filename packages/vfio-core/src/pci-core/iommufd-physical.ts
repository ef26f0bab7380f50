import type { IommufdCtx } from '@vfio-sim/iommufd';
import { type DmaPort, KernelError } from '@vfio-sim/platform';
import { BlockedDmaPort } from '../pci/blocked-dma-port.js';
import type { PciDev } from '../pci/pci-dev.js';
import type { VfioDevice } from '../vfio/vfio-device.js';
import { VfioPciCoreDevice } from './vfio-pci-core-device.js';

/** The DMA port each function had before iommufd claimed it (restored at unbind). */
const ownerPorts = new WeakMap<PciDev, DmaPort | undefined>();

function physicalDev(vdev: VfioDevice): PciDev {
  if (!(vdev instanceof VfioPciCoreDevice)) {
    throw new KernelError('ENODEV', `${vdev.name}: not a physical (PCI) vfio device`);
  }
  return vdev.pdev;
}

/**
 * `bind_iommufd` of physical devices (kernel `vfio_iommufd_physical_bind` → `iommufd_device_bind`):
 * bind the function's IOMMU view (`pdev.iommu`) to `ictx` and claim its DMA — the device model gets a
 * {@link BlockedDmaPort} until an attach. Returns the device id.
 * @throws KernelError ENODEV (the function is not behind an IOMMU), EBUSY (already bound there).
 */
export function vfioIommufdPhysicalBind(vdev: VfioDevice, ictx: IommufdCtx): number {
  const pdev = physicalDev(vdev);
  const iommu = pdev.iommu;
  if (iommu === undefined) throw new KernelError('ENODEV', `${pdev.name} is not behind an IOMMU`);
  const devId = ictx.bindDevice(iommu);
  vdev.iommufdDevice = { ictx, devId };
  vdev.iommufdAttached = false;
  ownerPorts.set(pdev, pdev.dmaPort);
  pdev.setDmaPort(new BlockedDmaPort(iommu));
  return devId;
}

/**
 * `unbind_iommufd` of physical devices (kernel `vfio_iommufd_physical_unbind`): detach if attached,
 * `iommufd_device_unbind`, and give the device model back the port it had before the bind (the
 * kernel's return to the default domain; a function that had none stays blocked).
 */
export function vfioIommufdPhysicalUnbind(vdev: VfioDevice): void {
  const binding = vdev.iommufdDevice;
  if (binding === undefined) return;
  const pdev = physicalDev(vdev);
  if (vdev.iommufdAttached) {
    binding.ictx.detachDevice(binding.devId);
    vdev.iommufdAttached = false;
  }
  binding.ictx.unbindDevice(binding.devId);
  vdev.iommufdDevice = undefined;
  const previous = ownerPorts.get(pdev);
  ownerPorts.delete(pdev);
  pdev.setDmaPort(previous ?? new BlockedDmaPort(pdev.iommu!));
}

/**
 * `attach_ioas` of physical devices (kernel `vfio_iommufd_physical_attach_ioas` →
 * `iommufd_device_attach`, or `iommufd_device_replace` when attached): attach to the IOAS (automatic
 * domain) or HWPT `ptId` and point the device model's DMA at the IOMMU port (`pdev.iommu.dmaPort`).
 * Returns the HWPT id attached.
 * @throws KernelError EINVAL (not bound; the vendor's refusal), ENOENT (no such IOAS/HWPT). A failed
 *   replace keeps the current attachment.
 */
export function vfioIommufdPhysicalAttachIoas(vdev: VfioDevice, ptId: number): number {
  const binding = vdev.iommufdDevice;
  if (binding === undefined) throw new KernelError('EINVAL', `${vdev.name} is not bound to iommufd`);
  const pdev = physicalDev(vdev);
  const hwptId = binding.ictx.attachDevice(binding.devId, ptId);
  vdev.iommufdAttached = true;
  pdev.setDmaPort(pdev.iommu!.dmaPort);
  return hwptId;
}

/**
 * `detach_ioas` of physical devices (kernel `vfio_iommufd_physical_detach_ioas`): `iommufd_device_detach`
 * and a {@link BlockedDmaPort} for the device model; nothing when not attached.
 */
export function vfioIommufdPhysicalDetachIoas(vdev: VfioDevice): void {
  const binding = vdev.iommufdDevice;
  if (binding === undefined || !vdev.iommufdAttached) return;
  const pdev = physicalDev(vdev);
  binding.ictx.detachDevice(binding.devId);
  vdev.iommufdAttached = false;
  pdev.setDmaPort(new BlockedDmaPort(pdev.iommu!));
}
