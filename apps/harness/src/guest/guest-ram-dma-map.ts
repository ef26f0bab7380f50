import { IOMMU_HWPT_ALLOC_DIRTY_TRACKING } from '@vfio-sim/iommufd';
import type { HostIommu } from '../host/host-iommu.js';
import type { Vm } from './vm.js';

/** Guest RAM as the VMM mapped it for a passed-through device's DMA. */
export interface GuestRamDmaMap {
  /** The VMM's user address of guest RAM (its mmap of the RAM's backing). */
  readonly userVa: number;
  /** The IOAS holding the mapping (IOVA = guest-physical address). */
  readonly ioasId: number;
  /** The paging HWPT the VF is attached to. */
  readonly hwptId: number;
  /** Whether the HWPT was allocated with IOMMU_HWPT_ALLOC_DIRTY_TRACKING. */
  readonly dirtyTracking: boolean;
  readonly iova: number;
  readonly length: number;
}

/**
 * Map all of `vm`'s RAM for the VF's DMA through the host's iommufd, the way QEMU's iommufd backend
 * does it: the VMM mmaps guest RAM, IOMMU_IOAS_ALLOC, IOMMU_OPTION HUGE_PAGES = 0 (every IOPTE a
 * 4 KiB leaf, so the IOMMU reports dirty pages at 4 KiB), IOMMU_HWPT_ALLOC with DIRTY_TRACKING when
 * the IOMMU can track, the VF attached to the HWPT (`VFIO_DEVICE_ATTACH_IOMMUFD_PT`), then
 * IOMMU_IOAS_MAP of the RAM at IOVA = guest-physical address 0.
 *
 * Kernel/VMM counterpart: QEMU `iommufd_cdev_attach` (`iommufd_cdev_autodomains_get` with
 * IOMMU_HWPT_ALLOC_DIRTY_TRACKING) and the container's memory listener (`iommufd_cdev_map`).
 * @throws KernelError from an ioctl (e.g. EINVAL if the VF is already attached elsewhere).
 */
export function mapGuestRamForDma(iommu: HostIommu, vm: Vm): GuestRamDmaMap {
  const { client, devId } = iommu;
  const mm = client.process.mm;
  const length = vm.memory.size;
  const userVa = mm.mmap(vm.memory);
  const ioasId = client.ioasAlloc();
  client.setHugePages(ioasId, false);
  const hwptId = client.hwptAlloc(devId, ioasId, iommu.dirtyTracking ? IOMMU_HWPT_ALLOC_DIRTY_TRACKING : 0);
  iommu.file.privateData.attachDevice(devId, hwptId);
  const iova = client.ioasMap(ioasId, userVa, length, { iova: 0 });
  return { userVa, ioasId, hwptId, dirtyTracking: iommu.dirtyTracking, iova, length };
}
