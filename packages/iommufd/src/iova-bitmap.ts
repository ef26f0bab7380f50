import { type GuestMemory, KernelError, type UserMemory } from '@vfio-sim/platform';

/** Bytes of bitmap staged at once by {@link IovaBitmap.record} (the kernel pins 2 MiB of bitmap at a time). */
const STAGE_WINDOW_BYTES = 2 << 20;
/** Runs spanning at least this many bitmap bytes skip the window: all-ones fills are an OR already. */
const DIRECT_FILL_BYTES = 4096;

/** Zeroed staging windows to reuse (a walk holds one at a time; the model is single-threaded). */
const WINDOW_POOL: Uint8Array[] = [];
/** Whether the host stores a `Uint32Array` word little-endian (the bitmap's u64 words are little-endian). */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** Bits of one {@link IovaBitmap.recordPages32} mask. */
const MASK_PAGES = 32;

/** Scratch for the read-modify-write of a flush. */
const SCRATCH = new Uint8Array(STAGE_WINDOW_BYTES);

function acquireWindow(bytes: number): Uint8Array {
  const i = WINDOW_POOL.findIndex((w) => w.length >= bytes);
  if (i >= 0) return WINDOW_POOL.splice(i, 1)[0]!.subarray(0, bytes);
  return new Uint8Array(bytes);
}

function releaseWindow(win: Uint8Array): void {
  if (WINDOW_POOL.length < 4) WINDOW_POOL.push(new Uint8Array(win.buffer));
}

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
  /** Bits the range needs: `ceil(length / pageSize)`. */
  readonly nbits: number;
  private readonly memory: GuestMemory;
  private readonly base: number;
  private window: Uint8Array | undefined = undefined;
  /** `Uint32Array` view of {@link window} (its start is 8-byte aligned in the bitmap). */
  private window32: Uint32Array | undefined = undefined;
  private winStart = 0;
  private winLo = Number.MAX_SAFE_INTEGER;
  private winHi = -1;

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

  /**
   * Like {@link set}, but staged: bits go into a private window of the bitmap (the kernel's pinned
   * window of user pages) and reach user memory at {@link flush}, which OR-s the window in. Runs that
   * cover whole bytes beyond the window size are written directly. Dirty-page walks record this way so
   * that a dirty leaf costs a few typed-array operations; they must call {@link flush} when done.
   *
   * Kernel counterpart: `iova_bitmap_set()` on the pinned pages, `iova_bitmap_free()` (unpin, dirtying).
   */
  record(iova: number, length: number): void {
    if (length <= 0) return;
    const ps = this.pageSize;
    let first = Math.floor((iova - this.iova) / ps);
    let last = Math.floor((iova + length - 1 - this.iova) / ps);
    if (first < 0) first = 0;
    if (last > this.nbits - 1) last = this.nbits - 1;
    if (last < first) return;
    const firstByte = Math.floor(first / 8);
    const lastByte = Math.floor(last / 8);
    if (lastByte - firstByte >= DIRECT_FILL_BYTES) {
      this.setBits(first, last + 1);
      return;
    }
    const win = this.stage(firstByte, lastByte);
    const at = this.winStart;
    if (first === last) {
      win[firstByte - at]! |= 1 << (first % 8);
      return;
    }
    let bit = first;
    const to = last + 1;
    while (bit < to && bit % 8 !== 0) {
      win[Math.floor(bit / 8) - at]! |= 1 << (bit % 8);
      bit++;
    }
    const whole = Math.floor((to - bit) / 8);
    if (whole > 0) {
      win.fill(0xff, bit / 8 - at, bit / 8 - at + whole);
      bit += whole * 8;
    }
    while (bit < to) {
      win[Math.floor(bit / 8) - at]! |= 1 << (bit % 8);
      bit++;
    }
  }

  /**
   * Batched {@link record} of up to 32 consecutive leaves of `leafSize` bytes: bit `j` of `mask` stands
   * for the leaf at `iova + j * leafSize`. When the bitmap's page size is the leaf size and the 32 pages
   * are one aligned, in-range 32-bit word of the bitmap (the common case: a 4 KiB-granular bitmap over a
   * table of 4 KiB leaves), the mask is OR-ed into the staged window in one operation; otherwise each
   * set bit is recorded on its own. Callers must call {@link flush} when done, as for {@link record}.
   *
   * Kernel counterpart: `iommu_dirty_bitmap_record()` → `iova_bitmap_set()`, called for each dirty leaf
   * by a driver's `read_and_clear_dirty` (batched here per 32 leaves; the bits set are the same).
   */
  recordPages32(iova: number, leafSize: number, mask: number): void {
    if (mask === 0) return;
    if (leafSize === this.pageSize && HOST_LITTLE_ENDIAN) {
      // Index of the 32-bit bitmap word holding the first leaf (no `%`: a double modulo is a libm call).
      const word = (iova - this.iova) / (leafSize * MASK_PAGES);
      if (word >= 0 && word === Math.floor(word) && (word + 1) * MASK_PAGES <= this.nbits) {
        const byte = word * 4;
        const win32 = this.window32;
        const at = this.winStart;
        if (win32 !== undefined && byte >= at && byte + 4 <= at + win32.length * 4) {
          // Fast path: inside the current window.
          const w = (byte - at) / 4;
          win32[w] = win32[w]! | mask;
          if (byte - at < this.winLo) this.winLo = byte - at;
          if (byte - at + 3 > this.winHi) this.winHi = byte - at + 3;
          return;
        }
        this.stage(byte, byte + 3);
        const w = (byte - this.winStart) / 4;
        this.window32![w] = this.window32![w]! | mask;
        return;
      }
    }
    for (let m = mask; m !== 0; m &= m - 1) {
      this.record(iova + (31 - Math.clz32(m & -m)) * leafSize, leafSize);
    }
  }

  /**
   * Stage the 32-bit bitmap words for `words × 32` consecutive leaves of `leafSize` bytes starting at
   * `iova`, for a walker that ORs whole masks itself: returns the index in {@link staged32} of the word
   * for the leaf at `iova` (word `k` then covers leaves `32k..32k+31`), or -1 when that does not apply
   * (leaf size ≠ page size, `iova` not on a word boundary of the bitmap, words outside the bitmap, a
   * big-endian host); the caller then uses {@link recordPages32}. The words are noted as touched, so
   * {@link flush} writes them back (untouched staged words are zero: OR-neutral).
   */
  stageWords(iova: number, leafSize: number, words: number): number {
    if (leafSize !== this.pageSize || !HOST_LITTLE_ENDIAN) return -1;
    const word = (iova - this.iova) / (leafSize * MASK_PAGES);
    if (!(word >= 0 && word === Math.floor(word) && (word + words) * MASK_PAGES <= this.nbits)) return -1;
    const byte = word * 4;
    if (4 * words > DIRECT_FILL_BYTES) return -1;
    this.stage(byte, byte + 4 * words - 1);
    return (byte - this.winStart) / 4;
  }

  /** The staging window as 32-bit words (valid after {@link stageWords} until the next flush). */
  get staged32(): Uint32Array {
    return this.window32!;
  }

  /**
   * The staging window, positioned (flushing the current one if needed) so that it covers bytes
   * `[firstByte, lastByte]` of the bitmap (at most {@link DIRECT_FILL_BYTES} apart), which are noted as
   * touched.
   */
  private stage(firstByte: number, lastByte: number): Uint8Array {
    let win = this.window;
    if (win !== undefined && (firstByte < this.winStart || lastByte >= this.winStart + win.length)) {
      this.flush();
      win = undefined;
    }
    if (win === undefined) {
      win = acquireWindow(Math.min(STAGE_WINDOW_BYTES, this.bytes));
      this.window = win;
      this.window32 = new Uint32Array(win.buffer, win.byteOffset, win.length >>> 2);
      // 8-byte aligned (whole u64 words) so the 32-bit view lines up with the bitmap's words.
      this.winStart = Math.min(firstByte - (firstByte % 8), this.bytes - win.length);
    }
    const at = this.winStart;
    if (firstByte - at < this.winLo) this.winLo = firstByte - at;
    if (lastByte - at > this.winHi) this.winHi = lastByte - at;
    return win;
  }

  /** OR the staged window into user memory (no-op when nothing is staged); releases the window. */
  flush(): void {
    const win = this.window;
    if (win === undefined) return;
    if (this.winLo <= this.winHi) {
      // Whole 32-bit words around the touched span (untouched staged bytes are zero: OR-neutral).
      const lo = this.winLo & ~3;
      const hi = Math.min(win.length, (this.winHi + 4) & ~3, this.bytes - this.winStart);
      const len = hi - lo;
      const addr = this.base + this.winStart + lo;
      const scratch = SCRATCH.length >= win.length ? SCRATCH : new Uint8Array(win.length);
      const user = scratch.subarray(0, len);
      this.memory.read(addr, user);
      if (len % 4 === 0) {
        const u32 = new Uint32Array(scratch.buffer, 0, len / 4);
        const s32 = new Uint32Array(win.buffer, win.byteOffset + lo, len / 4);
        for (let i = 0; i < u32.length; i++) u32[i] = u32[i]! | s32[i]!;
      } else {
        for (let i = 0; i < len; i++) user[i]! |= win[lo + i]!;
      }
      this.memory.write(addr, user);
      win.fill(0, lo, hi);
    }
    this.winLo = Number.MAX_SAFE_INTEGER;
    this.winHi = -1;
    this.window = undefined;
    this.window32 = undefined;
    releaseWindow(win);
  }

  /** Set bits `[from, to)`. */
  private setBits(from: number, to: number): void {
    const mem = this.memory;
    let bit = from;
    // Head: bits up to the next byte boundary.
    while (bit < to && bit % 8 !== 0) {
      const at = this.base + Math.floor(bit / 8);
      mem.writeU8(at, mem.readU8(at) | (1 << (bit % 8)));
      bit++;
    }
    // Body: whole bytes.
    const wholeBytes = Math.floor((to - bit) / 8);
    if (wholeBytes > 0) {
      mem.fill(this.base + bit / 8, wholeBytes, 0xff);
      bit += wholeBytes * 8;
    }
    // Tail.
    while (bit < to) {
      const at = this.base + Math.floor(bit / 8);
      mem.writeU8(at, mem.readU8(at) | (1 << (bit % 8)));
      bit++;
    }
  }

  /** Whether the bit for the page holding `iova` is set (for tests and clients reading results). */
  test(iova: number): boolean {
    this.flush();
    const bit = Math.floor((iova - this.iova) / this.pageSize);
    if (bit < 0 || bit >= this.nbits) return false;
    return ((this.memory.readU8(this.base + Math.floor(bit / 8)) >> (bit % 8)) & 1) === 1;
  }
}
