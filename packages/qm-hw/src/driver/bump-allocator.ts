import { KernelError } from '@vfio-sim/platform';

/**
 * A deterministic bump allocator over a range of guest-physical (DMA) addresses: same requests, same
 * addresses, on every host. Nothing is ever freed (a driver allocates once at probe).
 *
 * Kernel counterpart: the driver's `dma_alloc_coherent()` calls, reduced to placement.
 */
export class BumpAllocator {
  private next: number;

  constructor(
    /** First address handed out. */
    readonly base: number,
    /** End of the range (exclusive). */
    readonly limit: number,
  ) {
    this.next = base;
  }

  /** Bytes handed out so far (including alignment padding). */
  get used(): number {
    return this.next - this.base;
  }

  /**
   * Reserve `size` bytes aligned to `align` (a power of two).
   * @throws KernelError ENOMEM if the range is exhausted.
   */
  alloc(size: number, align = 32): number {
    const at = Math.ceil(this.next / align) * align;
    if (at + size > this.limit) {
      throw new KernelError(
        'ENOMEM',
        `need ${size} bytes at 0x${at.toString(16)}, range ends at 0x${this.limit.toString(16)}`,
      );
    }
    this.next = at + size;
    return at;
  }
}
