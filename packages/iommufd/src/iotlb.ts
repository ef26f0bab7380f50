/** Entries of the model IOTLB (direct-mapped by 4 KiB page number). */
export const IOTLB_ENTRIES = 256;

const F_VALID = 1;
const F_READ = 2;
const F_WRITE = 4;
/** The cached translation already carries D=1: a write through it does not update the PTE. */
const F_DIRTY = 8;

/**
 * The IOMMU's translation cache, caching each translation together with its dirty state — which is
 * why a cleared PTE dirty bit is set again only after the range is invalidated: a write that hits an
 * entry cached as "already dirty" does not walk to the PTE.
 *
 * Storage is typed arrays (tag, leaf size, output address, PTE location, flags); lookups and fills
 * allocate nothing.
 *
 * Kernel counterpart: the hardware IOTLB the drivers invalidate through `iommu_iotlb_sync()` /
 * `iommu_flush_iotlb_all()` (AMD INVALIDATE_IOMMU_PAGES, VT-d IOTLB invalidation, SMMU CMD_TLBI_*).
 */
export class Iotlb {
  private readonly leafIova = new Float64Array(IOTLB_ENTRIES);
  private readonly leafSize = new Float64Array(IOTLB_ENTRIES);
  private readonly pa = new Float64Array(IOTLB_ENTRIES);
  private readonly pte = new Int32Array(IOTLB_ENTRIES);
  private readonly flags = new Uint8Array(IOTLB_ENTRIES);
  /** Statistics. */
  hits = 0;
  misses = 0;
  invalidations = 0;

  /** The entry translating `iova`, or -1. */
  lookup(iova: number): number {
    const i = Math.floor(iova / 4096) % IOTLB_ENTRIES;
    const base = this.leafIova[i]!;
    if ((this.flags[i]! & F_VALID) !== 0 && iova >= base && iova < base + this.leafSize[i]!) {
      this.hits++;
      return i;
    }
    this.misses++;
    return -1;
  }

  /** Cache a walk result for `iova`; returns the entry. */
  fill(
    iova: number,
    leafIova: number,
    leafSize: number,
    leafPa: number,
    pte: number,
    readable: boolean,
    writable: boolean,
    dirty: boolean,
  ): number {
    const i = Math.floor(iova / 4096) % IOTLB_ENTRIES;
    this.leafIova[i] = leafIova;
    this.leafSize[i] = leafSize;
    this.pa[i] = leafPa;
    this.pte[i] = pte;
    this.flags[i] = F_VALID | (readable ? F_READ : 0) | (writable ? F_WRITE : 0) | (dirty ? F_DIRTY : 0);
    return i;
  }

  /** Output address of `iova` through entry `e`. */
  translate(e: number, iova: number): number {
    return this.pa[e]! + (iova - this.leafIova[e]!);
  }
  /** Bytes from `iova` to the end of entry `e`'s leaf. */
  remaining(e: number, iova: number): number {
    return this.leafIova[e]! + this.leafSize[e]! - iova;
  }
  /** Whether entry `e` allows DMA reads (the leaf's read permission when it was cached). */
  readable(e: number): boolean {
    return (this.flags[e]! & F_READ) !== 0;
  }
  /** Whether entry `e` allows DMA writes. */
  writable(e: number): boolean {
    return (this.flags[e]! & F_WRITE) !== 0;
  }
  /**
   * Whether entry `e` already recorded its leaf as dirty: hardware then skips the dirty update until the entry is invalidated.
   */
  dirtyCached(e: number): boolean {
    return (this.flags[e]! & F_DIRTY) !== 0;
  }
  /** Record in entry `e` that its leaf was marked dirty (the cached "already dirty" state). */
  setDirtyCached(e: number): void {
    this.flags[e] = this.flags[e]! | F_DIRTY;
  }
  /** The PTE address entry `e` was filled from (where hardware writes the dirty update). */
  pteOf(e: number): number {
    return this.pte[e]!;
  }

  /** Drop every entry overlapping `[iova, iova + length)` (a range invalidation). */
  invalidate(iova: number, length: number): void {
    this.invalidations++;
    const end = iova + length;
    for (let i = 0; i < IOTLB_ENTRIES; i++) {
      if ((this.flags[i]! & F_VALID) === 0) continue;
      const b = this.leafIova[i]!;
      if (b < end && b + this.leafSize[i]! > iova) this.flags[i] = 0;
    }
  }

  /** Drop everything (`iommu_flush_iotlb_all`). */
  flushAll(): void {
    this.invalidations++;
    this.flags.fill(0);
  }
}
