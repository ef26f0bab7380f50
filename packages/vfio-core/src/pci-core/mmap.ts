import {
  KernelError,
  MAP_SHARED,
  type MmioRegion,
  PAGE_SHIFT,
  PAGE_SIZE,
  type VmArea,
} from '@vfio-sim/platform';
import { VFIO_REGION_INFO_FLAG_MMAP } from '../uapi/region-info.js';
import { VFIO_PCI_NUM_REGIONS, VFIO_PCI_OFFSET_SHIFT, VFIO_PCI_ROM_REGION_INDEX } from '../uapi/regions.js';
import { VfioPciMapping } from './mapping.js';
import type { VfioPciCoreDevice } from './vfio-pci-core-device.js';

const PGOFF_INDEX_UNIT = 2 ** (VFIO_PCI_OFFSET_SHIFT - PAGE_SHIFT);

/**
 * Where an mmap request points (what `vfio_pci_core_mmap` derives from `vm_pgoff`): the region index
 * (`vm_pgoff >> (40 - PAGE_SHIFT)`) and the byte offset inside the region.
 */
export function vfioPciVmaRegion(vma: VmArea): { readonly index: number; readonly start: number } {
  const index = Math.floor(vma.pgoff / PGOFF_INDEX_UNIT);
  return { index, start: (vma.pgoff - index * PGOFF_INDEX_UNIT) * PAGE_SIZE };
}

/**
 * `vfio_pci_core_mmap`: map part of a BAR (or of a device-specific region that has an mmap op and the
 * MMAP flag). Each of these is EINVAL: index out of range; not MAP_SHARED; a device region without
 * mmap support; ROM/config/VGA; a BAR that is not mmap-capable; start + length beyond the page-aligned BAR.
 */
export function vfioPciCoreMmap(vdev: VfioPciCoreDevice, vma: VmArea): MmioRegion {
  const { index, start: reqStart } = vfioPciVmaRegion(vma);
  if (index >= VFIO_PCI_NUM_REGIONS + vdev.regions.length) {
    throw new KernelError('EINVAL', `${vdev.name}: mmap of region ${index} out of range`);
  }
  if (vma.length <= 0) throw new KernelError('EINVAL', `${vdev.name}: mmap of ${vma.length} bytes`);
  if ((vma.flags & MAP_SHARED) === 0)
    throw new KernelError('EINVAL', `${vdev.name}: mmap must be MAP_SHARED`);
  if (index >= VFIO_PCI_NUM_REGIONS) {
    const region = vdev.regions[index - VFIO_PCI_NUM_REGIONS]!;
    if (region.ops.mmap !== undefined && (region.flags & VFIO_REGION_INFO_FLAG_MMAP) !== 0) {
      return region.ops.mmap(vdev, region, vma);
    }
    throw new KernelError('EINVAL', `${vdev.name}: region ${index} cannot be mapped`);
  }
  if (index >= VFIO_PCI_ROM_REGION_INDEX) {
    throw new KernelError('EINVAL', `${vdev.name}: region ${index} (ROM/config/VGA) cannot be mapped`);
  }
  const res = vdev.pdev.resource[index]!;
  const bar = vdev.pdev.bars[index];
  if (!res.mmap || bar === undefined) {
    throw new KernelError('EINVAL', `${vdev.name}: BAR${index} is not mmap-capable`);
  }
  const physLen = Math.ceil(res.len / PAGE_SIZE) * PAGE_SIZE;
  if (reqStart + vma.length > physLen) {
    throw new KernelError(
      'EINVAL',
      `${vdev.name}: mmap [0x${reqStart.toString(16)}, +${vma.length}) beyond BAR${index}`,
      {
        reqStart,
        length: vma.length,
        physLen,
      },
    );
  }
  return new VfioPciMapping(bar, reqStart, vma.length, index);
}
