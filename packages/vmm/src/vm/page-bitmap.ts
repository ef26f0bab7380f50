import { KernelError } from '@vfio-sim/platform';

/** Pages per chunk: 512 pages, 2 MiB of guest RAM (a 2 MiB IOMMU leaf), 16 words of bitmap. */
export const PAGE_BITMAP_CHUNK_PAGES = 512;
const CHUNK_MASK = PAGE_BITMAP_CHUNK_PAGES - 1;
const CHUNK_WORDS = PAGE_BITMAP_CHUNK_PAGES / 32;

/**
 * One bit per 4 KiB guest page, held sparsely: a chunk of 16 words (512 pages, 2 MiB of guest RAM) exists
 * once a page in it was set, so a bitmap costs what was set in it, not the guest's size (a 1 TiB guest
 * with 1 GiB touched holds 512 chunks, 32 KiB). Chunks live side by side in one `Uint32Array`, in the
 * order they appeared; lookups go through a map from chunk number to its words, with the last chunk
 * used cached. Bit `p` of a chunk is `words[p >>> 5] & (1 << (p & 31))`. {@link clear} zeroes the words
 * and keeps the chunks (a dirty log set again next round allocates nothing); {@link reset} gives them
 * back. Setting a page in an existing chunk allocates nothing.
 *
 * Kernel/VMM counterpart: KVM's `memslot->dirty_bitmap`, QEMU's `RAMBlock::bmap` (`bitmap_*` helpers in
 * include/qemu/bitmap.h) — there dense, one bit per page of the slot or block.
 */
export class PageBitmap {
  /** Words of every chunk, chunk `i` at `[i * 16, i * 16 + 16)`. */
  private words = new Uint32Array(CHUNK_WORDS * 4);
  /** Chunk number → index of its words (in units of chunks). */
  private readonly index = new Map<number, number>();
  /** Chunk numbers in the order they appeared (chunk `i`'s number is `keys[i]`). */
  private keys: number[] = [];
  /** Chunk indexes in ascending chunk-number order, rebuilt when a chunk was added since. */
  private ascending: number[] = [];
  private ascendingValid = true;
  private lastChunk = -1;
  private lastBase = 0;

  /** @throws KernelError EINVAL unless `pages` is a positive integer. */
  constructor(readonly pages: number) {
    if (!Number.isSafeInteger(pages) || pages <= 0)
      throw new KernelError('EINVAL', `a page bitmap needs a positive page count, got ${pages}`);
  }

  /** Chunks held (each 512 pages, 64 bytes). */
  get chunkCount(): number {
    return this.keys.length;
  }

  /** Bytes of bitmap held: 64 per chunk (what the bitmap costs, whatever the guest's size). */
  get byteLength(): number {
    return this.keys.length * CHUNK_WORDS * 4;
  }

  /** Set the bit of page `pfn`. */
  set(pfn: number): void {
    const low = pfn & CHUNK_MASK;
    const base = this.baseOf((pfn - low) / PAGE_BITMAP_CHUNK_PAGES, true);
    this.words[base + (low >>> 5)]! |= 1 << (pfn & 31);
  }

  /** Set the bits of pages `first` … `last` (inclusive). */
  setRange(first: number, last: number): void {
    for (let p = first; p <= last; p++) this.set(p);
  }

  /** Whether page `pfn`'s bit is set. */
  test(pfn: number): boolean {
    const low = pfn & CHUNK_MASK;
    const base = this.baseOf((pfn - low) / PAGE_BITMAP_CHUNK_PAGES, false);
    return base >= 0 && (this.words[base + (low >>> 5)]! & (1 << (pfn & 31))) !== 0;
  }

  /** Clear every bit (the chunks stay, zeroed). */
  clear(): void {
    this.words.fill(0, 0, this.keys.length * CHUNK_WORDS);
  }

  /** Clear every bit and give every chunk back. */
  reset(): void {
    this.index.clear();
    this.keys = [];
    this.ascending = [];
    this.ascendingValid = true;
    this.words = new Uint32Array(CHUNK_WORDS * 4);
    this.lastChunk = -1;
  }

  /** Number of bits set. */
  count(): number {
    const w = this.words;
    const end = this.keys.length * CHUNK_WORDS;
    let n = 0;
    for (let i = 0; i < end; i++) if (w[i] !== 0) n += popcount32(w[i]!);
    return n;
  }

  /**
   * Number of pages set both here and in `other` (allocates nothing).
   * @throws KernelError EINVAL if the sizes differ.
   */
  countShared(other: PageBitmap): number {
    this.checkSize(other);
    let n = 0;
    for (let i = 0; i < this.keys.length; i++) {
      const o = other.baseOf(this.keys[i]!, false);
      if (o < 0) continue;
      const a = i * CHUNK_WORDS;
      for (let k = 0; k < CHUNK_WORDS; k++) n += popcount32(this.words[a + k]! & other.words[o + k]!);
    }
    return n;
  }

  /** OR `other`'s bits into this bitmap (chunks of `other` with no bit set add nothing). @throws KernelError EINVAL if the sizes differ. */
  or(other: PageBitmap): void {
    this.checkSize(other);
    const ow = other.words;
    for (let i = 0; i < other.keys.length; i++) {
      const o = i * CHUNK_WORDS;
      let any = 0;
      for (let k = 0; k < CHUNK_WORDS; k++) any |= ow[o + k]!;
      if (any === 0) continue;
      const a = this.baseOf(other.keys[i]!, true);
      const w = this.words;
      for (let k = 0; k < CHUNK_WORDS; k++) w[a + k]! |= ow[o + k]!;
    }
  }

  /**
   * OR in a little-endian byte bitmap whose bit 0 is page `firstPfn` (bit `b` is `bytes[b >>> 3] & (1 <<
   * (b & 7))` — the uAPI layout of GET_DIRTY_BITMAP's `__u64` array), keeping only the bits also set in
   * `mask` if given. Only words with a bit left create a chunk; bits past {@link pages} are ignored.
   * @throws KernelError EINVAL if `firstPfn` is not a multiple of 32, or `mask` has another size.
   */
  orBytes(bytes: Uint8Array, firstPfn = 0, mask?: PageBitmap): void {
    if (!Number.isSafeInteger(firstPfn) || firstPfn < 0 || firstPfn % 32 !== 0)
      throw new KernelError('EINVAL', `a byte bitmap must start on a 32-page boundary, got page ${firstPfn}`);
    if (mask !== undefined) this.checkSize(mask);
    const firstWord = firstPfn / 32;
    const lastWord = Math.ceil(this.pages / 32) - 1;
    const tail = this.pages & 31;
    for (let i = 0; i < bytes.length; i += 4) {
      let v =
        bytes[i]! | ((bytes[i + 1] ?? 0) << 8) | ((bytes[i + 2] ?? 0) << 16) | ((bytes[i + 3] ?? 0) << 24);
      if (v === 0) continue;
      const word = firstWord + i / 4;
      if (word > lastWord) break;
      if (word === lastWord && tail !== 0) v &= (1 << tail) - 1;
      if (v === 0) continue;
      const low = word % CHUNK_WORDS;
      const chunk = (word - low) / CHUNK_WORDS;
      if (mask !== undefined) {
        const m = mask.baseOf(chunk, false);
        if (m < 0) continue;
        v &= mask.words[m + low]!;
        if (v === 0) continue;
      }
      const base = this.baseOf(chunk, true);
      this.words[base + low]! |= v;
    }
  }

  /** The set pages, ascending (allocates: for reports and tests). */
  toArray(): number[] {
    const out: number[] = [];
    this.forEach((pfn) => {
      out.push(pfn);
    });
    return out;
  }

  /** Call `fn` with every set page, ascending. */
  forEach(fn: (pfn: number) => void): void {
    for (const i of this.sortedChunks()) {
      const first = this.keys[i]! * PAGE_BITMAP_CHUNK_PAGES;
      const a = i * CHUNK_WORDS;
      for (let k = 0; k < CHUNK_WORDS; k++) {
        let w = this.words[a + k]!;
        while (w !== 0) {
          fn(first + k * 32 + (31 - Math.clz32(w & -w)));
          w &= w - 1;
        }
      }
    }
  }

  /**
   * Call `fn(first, count)` for every run of consecutive set pages, ascending (a run goes on across
   * words and chunks). What a bulk copy of the set pages walks.
   */
  forEachRun(fn: (first: number, count: number) => void): void {
    let runStart = -1;
    let runEnd = -1;
    for (const i of this.sortedChunks()) {
      const first = this.keys[i]! * PAGE_BITMAP_CHUNK_PAGES;
      const a = i * CHUNK_WORDS;
      for (let k = 0; k < CHUNK_WORDS; k++) {
        let w = this.words[a + k]!;
        let pos = 0;
        while (w !== 0) {
          const zeros = ctz32(w); // < 32: w has a bit set
          pos += zeros;
          w >>>= zeros;
          const ones = ctz32(~w); // 32 when every bit is set
          const start = first + k * 32 + pos;
          if (start === runEnd) runEnd += ones;
          else {
            if (runStart >= 0) fn(runStart, runEnd - runStart);
            runStart = start;
            runEnd = start + ones;
          }
          pos += ones;
          w = ones === 32 ? 0 : w >>> ones;
        }
      }
    }
    if (runStart >= 0) fn(runStart, runEnd - runStart);
  }

  /** The word index of chunk `chunk`'s first word, creating the chunk if `create`; -1 if absent. */
  private baseOf(chunk: number, create: boolean): number {
    if (chunk === this.lastChunk) return this.lastBase;
    let i = this.index.get(chunk);
    if (i === undefined) {
      if (!create) return -1;
      if (!(Number.isInteger(chunk) && chunk >= 0 && chunk * PAGE_BITMAP_CHUNK_PAGES < this.pages))
        throw new KernelError(
          'EINVAL',
          `page ${chunk * PAGE_BITMAP_CHUNK_PAGES}+ is outside a ${this.pages}-page bitmap`,
        );
      i = this.keys.length;
      if ((i + 1) * CHUNK_WORDS > this.words.length) {
        const grown = new Uint32Array(this.words.length * 2);
        grown.set(this.words);
        this.words = grown;
      }
      this.index.set(chunk, i);
      if (i > 0 && chunk < this.keys[i - 1]!) this.ascendingValid = false;
      this.keys.push(chunk);
      this.ascending.push(i);
    }
    this.lastChunk = chunk;
    this.lastBase = i * CHUNK_WORDS;
    return this.lastBase;
  }

  /** Chunk indexes in ascending chunk-number order. */
  private sortedChunks(): readonly number[] {
    if (!this.ascendingValid) {
      const keys = this.keys;
      this.ascending.sort((x, y) => keys[x]! - keys[y]!);
      this.ascendingValid = true;
    }
    return this.ascending;
  }

  private checkSize(other: PageBitmap): void {
    if (other.pages !== this.pages)
      throw new KernelError('EINVAL', `bitmaps of ${other.pages} and ${this.pages} pages`);
  }
}

/** Trailing zero bits of a 32-bit word (32 for 0). */
function ctz32(v: number): number {
  return v === 0 ? 32 : 31 - Math.clz32(v & -v);
}

/** Set bits of a 32-bit word. */
function popcount32(v: number): number {
  v -= (v >>> 1) & 0x5555_5555;
  v = (v & 0x3333_3333) + ((v >>> 2) & 0x3333_3333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f_0f0f, 0x0101_0101) >>> 24) & 0xff;
}
