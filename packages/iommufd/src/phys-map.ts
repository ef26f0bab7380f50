import { type GuestMemory, KernelError } from '@vfio-sim/platform';

/** Where host-physical addresses start (the low 4 GiB stays free, as MMIO would occupy it). */
const PHYS_BASE = 2 ** 32;
/** Each memory starts on a 1 GiB boundary, so 1 GiB leaves can map it. */
const PHYS_ALIGN = 2 ** 30;
/** Output addresses must fit the narrowest format (ARM LPAE stage 1: 48 bits). */
const PHYS_LIMIT = 2 ** 48;

interface PhysRange {
  readonly base: number;
  readonly size: number;
  readonly memory: GuestMemory;
}

/**
 * Host-physical address space: the output addresses IO page-table leaves hold. Each pinned memory
 * (the pages behind a VMM's guest-RAM mapping) gets one contiguous, 1 GiB-aligned physical range, so
 * a leaf's output address names a real (memory, offset) pair that DMA can reach.
 *
 * Kernel counterpart: the physical addresses `pin_user_pages` hands iommufd (`struct iopt_pages`),
 * which it writes into IOPTEs with `iommu_map()`.
 */
export class PhysMap {
  private readonly byMemory = new WeakMap<GuestMemory, number>();
  private readonly ranges: PhysRange[] = [];
  private next = PHYS_BASE;
  private last: PhysRange | undefined = undefined;

  /** The physical base of `memory` (allocated on first use). @throws KernelError ENOMEM past 2^48. */
  baseOf(memory: GuestMemory): number {
    const known = this.byMemory.get(memory);
    if (known !== undefined) return known;
    const base = this.next;
    if (base + memory.size > PHYS_LIMIT) throw new KernelError('ENOMEM', 'host-physical address space full');
    this.byMemory.set(memory, base);
    this.ranges.push({ base, size: memory.size, memory });
    this.next = Math.ceil((base + memory.size) / PHYS_ALIGN) * PHYS_ALIGN;
    return base;
  }

  /**
   * The memory holding physical address `pa` (its offset is `pa - base`). Caches the last hit: DMA
   * streams hit the same memory. @throws KernelError EFAULT for an address no memory backs.
   */
  lookup(pa: number): PhysRange {
    const l = this.last;
    if (l !== undefined && pa >= l.base && pa < l.base + l.size) return l;
    for (const r of this.ranges) {
      if (pa >= r.base && pa < r.base + r.size) {
        this.last = r;
        return r;
      }
    }
    throw new KernelError('EFAULT', `no memory at physical address 0x${pa.toString(16)}`);
  }
}

/** The host's physical address space, shared by every IOMMU in the process. */
export const hostPhysMap = new PhysMap();
