import { KernelError } from '@vfio-sim/platform';

/**
 * One bit per 4 KiB guest page in 32-bit words (bit `p` is `words[p >>> 5] & (1 << (p & 31))`): the
 * dirty bitmaps of a migration. Every operation works on the words in place and allocates nothing.
 *
 * Kernel/VMM counterpart: KVM's `memslot->dirty_bitmap`, QEMU's `RAMBlock::bmap` (`bitmap_*` helpers in
 * include/qemu/bitmap.h).
 */
export class PageBitmap {
  readonly words: Uint32Array;

  /** @throws KernelError EINVAL unless `pages` is a positive integer. */
  constructor(readonly pages: number) {
    if (!Number.isSafeInteger(pages) || pages <= 0)
      throw new KernelError('EINVAL', `a page bitmap needs a positive page count, got ${pages}`);
    this.words = new Uint32Array(Math.ceil(pages / 32));
  }

  /** Set the bit of page `pfn`. */
  set(pfn: number): void {
    this.words[pfn >>> 5]! |= 1 << (pfn & 31);
  }

  /** Set the bits of pages `first` … `last` (inclusive). */
  setRange(first: number, last: number): void {
    for (let p = first; p <= last; p++) this.words[p >>> 5]! |= 1 << (p & 31);
  }

  /** Whether page `pfn`'s bit is set. */
  test(pfn: number): boolean {
    return (this.words[pfn >>> 5]! & (1 << (pfn & 31))) !== 0;
  }

  /** Clear every bit. */
  clear(): void {
    this.words.fill(0);
  }

  /** Number of bits set. */
  count(): number {
    let n = 0;
    for (let i = 0; i < this.words.length; i++) n += popcount32(this.words[i]!);
    return n;
  }

  /**
   * Number of pages set both here and in `other` (allocates nothing).
   * @throws KernelError EINVAL if the sizes differ.
   */
  countShared(other: PageBitmap): number {
    if (other.pages !== this.pages)
      throw new KernelError('EINVAL', `bitmaps of ${other.pages} and ${this.pages} pages`);
    let n = 0;
    for (let i = 0; i < this.words.length; i++) n += popcount32(this.words[i]! & other.words[i]!);
    return n;
  }

  /** OR `other`'s bits into this bitmap. @throws KernelError EINVAL if the sizes differ. */
  or(other: PageBitmap): void {
    if (other.pages !== this.pages)
      throw new KernelError('EINVAL', `bitmaps of ${other.pages} and ${this.pages} pages`);
    for (let i = 0; i < this.words.length; i++) this.words[i]! |= other.words[i]!;
  }

  /**
   * OR in a little-endian byte bitmap (bit `b` is `bytes[b >>> 3] & (1 << (b & 7))` — the uAPI layout
   * of GET_DIRTY_BITMAP's `__u64` array). Bits past {@link pages} are ignored.
   */
  orBytes(bytes: Uint8Array): void {
    const n = Math.min(bytes.length, this.words.length * 4);
    for (let i = 0; i < n; i++) {
      const b = bytes[i]!;
      if (b !== 0) this.words[i >>> 2]! |= b << ((i & 3) * 8);
    }
    const tail = this.pages & 31;
    if (tail !== 0) this.words[this.words.length - 1]! &= (1 << tail) - 1;
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
    for (let i = 0; i < this.words.length; i++) {
      let w = this.words[i]!;
      while (w !== 0) {
        const bit = 31 - Math.clz32(w & -w);
        fn(i * 32 + bit);
        w &= w - 1;
      }
    }
  }
}

function popcount32(v: number): number {
  v -= (v >>> 1) & 0x5555_5555;
  v = (v & 0x3333_3333) + ((v >>> 2) & 0x3333_3333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f_0f0f, 0x0101_0101) >>> 24) & 0xff;
}
