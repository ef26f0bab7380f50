import { type GuestMemory, KernelError } from '@vfio-sim/platform';

/** Where host-physical addresses start (the low 4 GiB stays free, as MMIO would occupy it). */
const PHYS_BASE = 2 ** 32;
/** Each memory starts on a 1 GiB boundary, so 1 GiB leaves can map it. */
const PHYS_ALIGN = 2 ** 30;
/** Output addresses must fit the narrowest format (ARM LPAE stage 1: 48 bits). */
const PHYS_LIMIT = 2 ** 48;

/**
 * One pinned memory's place in the host-physical address space: `[base, base + size)` holds `memory`
 * from offset 0 (the kernel's counterpart is the pfn range `pin_user_pages` returns for a `struct iopt_pages`).
 */
export interface PhysRange {
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
  /** Ranges by base; a memory no longer referenced elsewhere drops out (weakly held). */
  private readonly ranges: { base: number; size: number; memory: WeakRef<GuestMemory> }[] = [];
  private next = PHYS_BASE;
  private last: PhysRange | undefined = undefined;

  /**
   * The physical base of `memory` (allocated on first use; the range of a memory that was garbage
   * collected is reused). @throws KernelError ENOMEM past 2^48.
   */
  baseOf(memory: GuestMemory): number {
    const known = this.byMemory.get(memory);
    if (known !== undefined) return known;
    const span = Math.ceil(memory.size / PHYS_ALIGN) * PHYS_ALIGN;
    let base = this.reuse(span);
    if (base === undefined) {
      base = this.next;
      if (base + memory.size > PHYS_LIMIT) {
        throw new KernelError('ENOMEM', 'host-physical address space full');
      }
      this.next = base + span;
      this.ranges.push({ base, size: span, memory: new WeakRef(memory) });
    } else {
      const slot = this.ranges.find((r) => r.base === base)!;
      slot.memory = new WeakRef(memory);
    }
    this.byMemory.set(memory, base);
    this.last = undefined;
    return base;
  }

  /** A freed range at least `span` bytes long (its memory was collected), or undefined. */
  private reuse(span: number): number | undefined {
    for (const r of this.ranges) if (r.size >= span && r.memory.deref() === undefined) return r.base;
    return undefined;
  }

  /**
   * The memory holding physical address `pa` (its offset is `pa - base`). Caches the last hit: DMA
   * streams hit the same memory. @throws KernelError EFAULT for an address no memory backs.
   */
  lookup(pa: number): PhysRange {
    const l = this.last;
    if (l !== undefined && pa >= l.base && pa < l.base + l.size) return l;
    for (const r of this.ranges) {
      const memory = r.memory.deref();
      if (memory !== undefined && pa >= r.base && pa < r.base + memory.size) {
        this.last = { base: r.base, size: memory.size, memory };
        return this.last;
      }
    }
    throw new KernelError('EFAULT', `no memory at physical address 0x${pa.toString(16)}`);
  }
}

/** The host's physical address space, shared by every IOMMU in the process. */
export const hostPhysMap = new PhysMap();
