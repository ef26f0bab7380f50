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
import type { VfioPciCoreDevice } from './vfio-pci-core-device.js';

const PGOFF_INDEX_UNIT = 2 ** (VFIO_PCI_OFFSET_SHIFT - PAGE_SHIFT);

/**
 * A user mapping of part of a BAR (the model's VMA): `size` bytes starting `base` bytes into the BAR.
 * Every access is checked against the mapping (outside, or after {@link munmap}: EFAULT — the model's
 * SIGBUS) before it reaches the device, so a mapping can never reach beyond what mmap granted.
 *
 * Kernel counterpart: the VMA set up by `vfio_pci_core_mmap` (`io_remap_pfn_range` /
 * `vfio_pci_mmap_fault`).
 */
export class VfioPciMapping implements MmioRegion {
  private mapped = true;
  /** Accesses must end at or before this offset (the mapping, clipped to the BAR). */
  private readonly limit: number;

  constructor(
    /** The BAR's register space. */
    readonly bar: MmioRegion,
    /** Offset of the mapping in the BAR. */
    readonly base: number,
    /** Bytes mapped. */
    readonly size: number,
    /** Region index (for messages). */
    readonly index: number,
  ) {
    this.limit = Math.max(0, Math.min(size, bar.size - base));
  }

  /** False after {@link munmap}. */
  get isMapped(): boolean {
    return this.mapped;
  }

  readl(offset: number): number {
    this.check(offset, 4);
    return this.bar.readl(this.base + offset);
  }

  writel(offset: number, value: number): void {
    this.check(offset, 4);
    this.bar.writel(this.base + offset, value);
  }

  read(offset: number, data: Uint8Array): void {
    this.check(offset, data.length);
    this.bar.read(this.base + offset, data);
  }

  write(offset: number, data: Uint8Array): void {
    this.check(offset, data.length);
    this.bar.write(this.base + offset, data);
  }

  /** `munmap`: later accesses fault. */
  munmap(): void {
    this.mapped = false;
  }

  private check(offset: number, width: number): void {
    // In bounds, an integer (BARs are < 2 GiB, so `| 0` is exact) and naturally aligned.
    if (this.mapped && offset >= 0 && offset + width <= this.limit && (offset | 0) === offset) {
      if ((offset & (width - 1)) === 0) return;
    }
    if (!this.mapped) throw new KernelError('EFAULT', `BAR${this.index} mapping was unmapped`);
    throw new KernelError(
      'EFAULT',
      `BAR${this.index} mapping: ${width}-byte access at 0x${offset.toString(16)}`,
      {
        offset,
        width,
        size: this.size,
      },
    );
  }
}

/**
 * `vfio_pci_core_mmap`: map part of a BAR (or of a device-specific region that has an mmap op and the
 * MMAP flag). Each of these is EINVAL: index out of range; not MAP_SHARED; a device region without
 * mmap support; ROM/config/VGA; a BAR that is not mmap-capable; start + length beyond the page-aligned BAR.
 */
export function vfioPciCoreMmap(vdev: VfioPciCoreDevice, vma: VmArea): MmioRegion {
  const index = Math.floor(vma.pgoff / PGOFF_INDEX_UNIT);
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
  const reqStart = (vma.pgoff % PGOFF_INDEX_UNIT) * PAGE_SIZE;
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
