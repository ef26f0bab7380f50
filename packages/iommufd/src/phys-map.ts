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
  /**
   * Ranges by base. A pinned memory is held strongly until its last unpin frees its range; one only
   * looked up ({@link baseOf}) is held through a `WeakRef` and drops out once collected. Pinning
   * creates no `WeakRef`: V8 keeps a `WeakRef`'s target alive until the current job ends, which would
   * keep every unmapped guest RAM of a synchronous loop.
   */
  private readonly ranges: PhysSlot[] = [];
  /** Pin counts: the mappings holding each memory's pages. */
  private readonly pins = new Map<GuestMemory, number>();
  private next = PHYS_BASE;
  private last: PhysRange | undefined = undefined;

  /**
   * The physical base of `memory` (allocated on first use; the range of a memory that was unpinned or
   * garbage collected is reused). @throws KernelError ENOMEM past 2^48.
   */
  baseOf(memory: GuestMemory): number {
    const known = this.byMemory.get(memory);
    if (known !== undefined) return known;
    return this.place(memory, { weak: new WeakRef(memory) });
  }

  /**
   * Pin `memory` for one more mapping and return its physical base (`pin_user_pages` for an area:
   * the pages stay where they are until the matching {@link unpin}).
   * @throws KernelError ENOMEM past 2^48.
   */
  pin(memory: GuestMemory): number {
    const known = this.byMemory.get(memory);
    const base = known ?? this.place(memory, { held: memory });
    if (known !== undefined) this.slotAt(base)!.held = memory;
    this.pins.set(memory, (this.pins.get(memory) ?? 0) + 1);
    return base;
  }

  /**
   * Drop one pin of `memory` (`unpin_user_pages`); the last one frees its range at once, for the next
   * memory to take — a VMM that maps and unmaps guest RAM in a loop reuses the same ranges.
   * @throws KernelError EINVAL for a memory with no pin (nothing changes).
   */
  unpin(memory: GuestMemory): void {
    const n = this.pins.get(memory);
    if (n === undefined) throw new KernelError('EINVAL', 'unpin of a memory that is not pinned');
    if (n > 1) {
      this.pins.set(memory, n - 1);
      return;
    }
    this.pins.delete(memory);
    const base = this.byMemory.get(memory)!;
    this.byMemory.delete(memory);
    const slot = this.slotAt(base)!;
    slot.held = undefined;
    slot.weak = undefined;
    this.last = undefined;
  }

  /** Pins held on `memory` (0 if none). */
  pinCount(memory: GuestMemory): number {
    return this.pins.get(memory) ?? 0;
  }

  /**
   * The memory holding physical address `pa` (its offset is `pa - base`). Caches the last hit: DMA
   * streams hit the same memory. @throws KernelError EFAULT for an address no memory backs.
   */
  lookup(pa: number): PhysRange {
    const l = this.last;
    if (l !== undefined && pa >= l.base && pa < l.base + l.size) return l;
    for (const r of this.ranges) {
      if (pa < r.base || pa >= r.base + r.size) continue;
      const memory = memoryOf(r);
      if (memory !== undefined && pa < r.base + memory.size) {
        this.last = { base: r.base, size: memory.size, memory };
        return this.last;
      }
    }
    throw new KernelError('EFAULT', `no memory at physical address 0x${pa.toString(16)}`);
  }

  /** Give `memory` a range (a free one if one is long enough) holding it as `hold` says. */
  private place(memory: GuestMemory, hold: Partial<Pick<PhysSlot, 'held' | 'weak'>>): number {
    const span = Math.ceil(memory.size / PHYS_ALIGN) * PHYS_ALIGN;
    let slot = this.ranges.find((r) => r.size >= span && memoryOf(r) === undefined);
    if (slot === undefined) {
      const base = this.next;
      if (base + memory.size > PHYS_LIMIT)
        throw new KernelError('ENOMEM', 'host-physical address space full');
      this.next = base + span;
      slot = { base, size: span, held: undefined, weak: undefined };
      this.ranges.push(slot);
    }
    slot.held = hold.held;
    slot.weak = hold.weak;
    this.byMemory.set(memory, slot.base);
    this.last = undefined;
    return slot.base;
  }

  private slotAt(base: number): PhysSlot | undefined {
    return this.ranges.find((r) => r.base === base);
  }
}

/** One range of the host-physical space and what holds its memory (nothing: the range is free). */
interface PhysSlot {
  readonly base: number;
  readonly size: number;
  /** The memory, while pinned. */
  held: GuestMemory | undefined;
  /** The memory, weakly, when only looked up. */
  weak: WeakRef<GuestMemory> | undefined;
}

/** The memory a slot holds, if any. */
function memoryOf(slot: PhysSlot): GuestMemory | undefined {
  return slot.held ?? slot.weak?.deref();
}

/** The host's physical address space, shared by every IOMMU in the process. */
export const hostPhysMap = new PhysMap();
