import { KernelError } from '../errno/kernel-error.js';

/** Counters of a {@link RangeAllocator}. */
export interface RangeAllocatorStats {
  /** Bytes in live blocks (each block counts its requested size rounded up to the granule). */
  readonly used: number;
  /** Bytes in free ranges. `used + free` is the arena size. */
  readonly free: number;
  /** Live blocks. */
  readonly blocks: number;
  /** Free ranges (1 when nothing is allocated: everything coalesced). */
  readonly freeRanges: number;
  /** The largest free range. */
  readonly largestFree: number;
}

/**
 * A first-fit allocator of address ranges in `[base, base + size)` with coalescing free: the model's
 * `malloc`/`free` for a process heap and its `get_unmapped_area` for `mmap`. Sizes are rounded up to
 * `granule`; alignment is any power of two (the padding before an aligned block stays free).
 *
 * Free ranges are kept sorted by address in two parallel arrays; `free` merges a block with the free
 * neighbours it touches, so an arena whose blocks are all freed is one free range again. Blocks are found
 * by their start address (a pointer that is not the start of a live block is an invalid free).
 *
 * Kernel/libc counterpart: glibc `malloc`/`free` (first fit, boundary coalescing) and mm's
 * `get_unmapped_area` / `do_munmap` over a VA range.
 */
export class RangeAllocator {
  /** Free ranges sorted by start: starts[i] .. ends[i] (exclusive), never touching each other. */
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  /** Live blocks: start → length (after rounding). */
  private readonly live = new Map<number, number>();
  private usedBytes = 0;

  constructor(
    /** First address of the arena. */
    readonly base: number,
    /** Bytes in the arena. */
    readonly size: number,
    /** Allocation unit: sizes round up to it (1 = bytes, PAGE_SIZE = pages). */
    readonly granule = 1,
  ) {
    if (
      !Number.isSafeInteger(base) ||
      !Number.isSafeInteger(size) ||
      size <= 0 ||
      !Number.isSafeInteger(granule) ||
      granule <= 0 ||
      size % granule !== 0 ||
      base % granule !== 0
    ) {
      throw new KernelError('EINVAL', `range allocator [${base}, +${size}) granule ${granule}`);
    }
    this.starts.push(base);
    this.ends.push(base + size);
  }

  /**
   * A block of `size` bytes aligned to `align` (first fit from the lowest address).
   * @throws KernelError EINVAL for a size that is not a non-negative integer or an alignment that is not
   * a power of two; ENOMEM if no free range holds it (nothing changes then).
   */
  alloc(size: number, align = 1): number {
    if (
      !Number.isSafeInteger(size) ||
      size < 0 ||
      !Number.isSafeInteger(align) ||
      align <= 0 ||
      (align & (align - 1)) !== 0
    ) {
      throw new KernelError('EINVAL', `alloc(${size}, align ${align}): bad size or alignment`);
    }
    const g = this.granule;
    // A zero-byte request still gets a distinct block (malloc(0) returns a unique pointer).
    const length = Math.max(g, Math.ceil(size / g) * g);
    const step = Math.max(align, g);
    const { starts, ends } = this;
    for (let i = 0; i < starts.length; i++) {
      const start = starts[i]!;
      const end = ends[i]!;
      const at = Math.ceil(start / step) * step;
      if (at + length > end) continue;
      // Carve [at, at + length) out of the free range: up to two pieces stay free.
      const before = at > start;
      const after = at + length < end;
      if (before && after) {
        ends[i] = at;
        starts.splice(i + 1, 0, at + length);
        ends.splice(i + 1, 0, end);
      } else if (before) {
        ends[i] = at;
      } else if (after) {
        starts[i] = at + length;
      } else {
        starts.splice(i, 1);
        ends.splice(i, 1);
      }
      this.live.set(at, length);
      this.usedBytes += length;
      return at;
    }
    throw new KernelError('ENOMEM', `no free range of ${length} bytes (align ${align}) left`, {
      size,
      align,
      largestFree: this.largestFree(),
    });
  }

  /**
   * Return the block starting at `at`; it merges with the free ranges it touches.
   * @returns the block's length.
   * @throws KernelError EINVAL if `at` is not the start of a live block (a bad or double free; nothing
   * changes).
   */
  free(at: number): number {
    const length = this.live.get(at);
    if (length === undefined) {
      throw new KernelError('EINVAL', `free(0x${Number(at).toString(16)}): not an allocated block`, { at });
    }
    this.live.delete(at);
    this.usedBytes -= length;
    const end = at + length;
    const { starts, ends } = this;
    // The first free range starting after the block.
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid]! < at) lo = mid + 1;
      else hi = mid;
    }
    const mergePrev = lo > 0 && ends[lo - 1] === at;
    const mergeNext = lo < starts.length && starts[lo] === end;
    if (mergePrev && mergeNext) {
      ends[lo - 1] = ends[lo]!;
      starts.splice(lo, 1);
      ends.splice(lo, 1);
    } else if (mergePrev) {
      ends[lo - 1] = end;
    } else if (mergeNext) {
      starts[lo] = at;
    } else {
      starts.splice(lo, 0, at);
      ends.splice(lo, 0, end);
    }
    return length;
  }

  /** The free range containing `addr` as `[start, end)`, or undefined if `addr` is allocated or outside. */
  freeRangeContaining(addr: number): readonly [number, number] | undefined {
    let lo = 0;
    let hi = this.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ends[mid]! <= addr) lo = mid + 1;
      else hi = mid;
    }
    const start = this.starts[lo];
    return start !== undefined && start <= addr ? [start, this.ends[lo]!] : undefined;
  }

  /** The length of the live block starting at `at`, or undefined. */
  blockSize(at: number): number | undefined {
    return this.live.get(at);
  }

  /** The live block containing `addr` as `[start, length]`, or undefined (a linear scan: not a hot path). */
  blockContaining(addr: number): readonly [number, number] | undefined {
    for (const [start, length] of this.live)
      if (addr >= start && addr < start + length) return [start, length];
    return undefined;
  }

  /** Counters (O(free ranges)). */
  stats(): RangeAllocatorStats {
    return {
      used: this.usedBytes,
      free: this.size - this.usedBytes,
      blocks: this.live.size,
      freeRanges: this.starts.length,
      largestFree: this.largestFree(),
    };
  }

  /** The free ranges as `[start, end)` pairs, ascending (for tests and reports). */
  freeRanges(): Array<readonly [number, number]> {
    return this.starts.map((s, i) => [s, this.ends[i]!] as const);
  }

  private largestFree(): number {
    let best = 0;
    for (let i = 0; i < this.starts.length; i++) best = Math.max(best, this.ends[i]! - this.starts[i]!);
    return best;
  }
}
