import { type GuestMemory, KernelError, type UserMemory } from '@vfio-sim/platform';

/**
 * A caller's dirty bitmap over an IOVA range, in user memory: bit `i` stands for the page at
 * `iova + i * pageSize`; the bitmap is an array of little-endian u64 words (bit i = word i/64, bit i%64).
 * Dirty-tracking code only ever *sets* bits ({@link set}); what the caller had in the bitmap stays
 * (bits are OR-ed in).
 *
 * The user range is resolved once, up front (as the kernel pins the user pages), so setting bits costs
 * no further lookups: whole bytes are filled, only the partial head and tail bytes are read-modified-written.
 *
 * Kernel counterpart: `struct iova_bitmap`, `iova_bitmap_alloc()`, `iova_bitmap_set()`
 * (drivers/iommu/iommufd/iova_bitmap.c), shared by iommufd's GET_DIRTY_BITMAP and vfio's
 * DMA_LOGGING_REPORT.
 */
export class IovaBitmap {
  /** Bytes of bitmap the range needs: one bit per page, rounded up to whole u64 words. */
  readonly bytes: number;
  private readonly memory: GuestMemory;
  private readonly base: number;
  private readonly nbits: number;

  /**
   * @param mm the caller's address space.
   * @param iova first IOVA the bitmap describes.
   * @param length bytes of IOVA described (> 0).
   * @param pageSize bytes per bit: a power of two.
   * @param data user pointer to the bitmap.
   * @throws KernelError EINVAL for a zero length or a page size that is not a power of two,
   *   EOVERFLOW if the range wraps, EFAULT if the bitmap memory is not mapped.
   */
  constructor(
    mm: UserMemory,
    readonly iova: number,
    readonly length: number,
    readonly pageSize: number,
    readonly data: number,
  ) {
    if (!Number.isSafeInteger(pageSize) || pageSize <= 0 || (pageSize & (pageSize - 1)) !== 0) {
      throw new KernelError('EINVAL', `bitmap page size ${pageSize} is not a power of two`);
    }
    if (!Number.isSafeInteger(length) || length <= 0) {
      throw new KernelError('EINVAL', `bitmap length ${length} must be positive`);
    }
    if (!Number.isSafeInteger(iova) || iova < 0 || !Number.isSafeInteger(iova + length)) {
      throw new KernelError('EOVERFLOW', `IOVA range [${iova}, +${length}) overflows`);
    }
    this.nbits = Math.ceil(length / pageSize);
    this.bytes = Math.ceil(this.nbits / 64) * 8;
    const resolved = mm.resolve(data, this.bytes);
    this.memory = resolved.memory;
    this.base = resolved.offset;
  }

  /**
   * Mark every page overlapping `[iova, iova + length)` dirty; the part outside the bitmap's range is
   * ignored (kernel `iova_bitmap_set`).
   */
  set(iova: number, length: number): void {
    if (length <= 0) return;
    const first = Math.max(0, Math.floor((iova - this.iova) / this.pageSize));
    const last = Math.min(this.nbits - 1, Math.floor((iova + length - 1 - this.iova) / this.pageSize));
    if (last < first) return;
    this.setBits(first, last + 1);
  }

  /** Set bits `[from, to)`. */
  private setBits(from: number, to: number): void {
    const mem = this.memory;
    let bit = from;
    // Head: bits up to the next byte boundary.
    while (bit < to && (bit & 7) !== 0) {
      const at = this.base + (bit >>> 3);
      mem.writeU8(at, mem.readU8(at) | (1 << (bit & 7)));
      bit++;
    }
    // Body: whole bytes.
    const wholeBytes = (to - bit) >>> 3;
    if (wholeBytes > 0) {
      mem.fill(this.base + bit / 8, wholeBytes, 0xff);
      bit += wholeBytes * 8;
    }
    // Tail.
    while (bit < to) {
      const at = this.base + Math.floor(bit / 8);
      mem.writeU8(at, mem.readU8(at) | (1 << (bit & 7)));
      bit++;
    }
  }

  /** Whether the bit for the page holding `iova` is set (for tests and clients reading results). */
  test(iova: number): boolean {
    const bit = Math.floor((iova - this.iova) / this.pageSize);
    if (bit < 0 || bit >= this.nbits) return false;
    return ((this.memory.readU8(this.base + Math.floor(bit / 8)) >> (bit & 7)) & 1) === 1;
  }
}
