import { KernelError } from '../errno/kernel-error.js';

/** Guest page size: 4 KiB (kernel `PAGE_SIZE` on the x86_64 / 4K-granule arm64 hosts modelled). */
export const PAGE_SIZE = 4096;
/** log2 of {@link PAGE_SIZE} (kernel `PAGE_SHIFT`). */
export const PAGE_SHIFT = 12;
const PAGE_MASK = PAGE_SIZE - 1;

/**
 * Called after every write into guest memory with the guest-physical address and length written
 * (dirty logging hooks in here: KVM's dirty bitmap for CPU writes, an IOMMU for device writes).
 */
export type GuestWriteObserver = (gpa: number, length: number) => void;

/**
 * Guest-physical memory: a sparse array of 4 KiB pages, little-endian accessors.
 *
 * Only written pages exist; reading an untouched page returns zeros and allocates nothing. Addresses are
 * plain numbers (exact up to 2^53); 64-bit values are `bigint`. Every access is bounds-checked against
 * the memory size and fails with EFAULT, like `copy_from_user` on a bad address.
 *
 * Kernel counterpart: a KVM memslot's backing (`gfn_to_hva` + the host pages), seen through the narrow
 * interface rust-vmm's `GuestMemory` offers.
 */
export class GuestMemory {
  /** Size of the guest-physical address space in bytes. */
  readonly size: number;
  private readonly pages = new Map<number, DataView>();
  // One-entry lookup cache: consecutive accesses usually hit the same page. `lastBase` is the cached
  // page's guest-physical base; it only ever holds a page inside the memory, so an access whose
  // (gpa - offset) equals it is in range and integral without further checks (a negative, fractional
  // or out-of-range gpa can never produce a cached base).
  private lastBase = -1;
  private lastPage: DataView | undefined = undefined;
  private observer: GuestWriteObserver | undefined = undefined;

  /** @param size bytes of guest-physical address space; a positive multiple of {@link PAGE_SIZE}. */
  constructor(size: number) {
    if (!Number.isSafeInteger(size) || size <= 0 || size % PAGE_SIZE !== 0) {
      throw new KernelError('EINVAL', `guest memory size ${size} is not a positive multiple of ${PAGE_SIZE}`);
    }
    this.size = size;
  }

  /** Install (or with `undefined`, remove) the write observer. Absent, it costs nothing. */
  setWriteObserver(observer: GuestWriteObserver | undefined): void {
    this.observer = observer;
  }

  /** Bytes of pages that exist (have been written at least once). */
  touchedBytes(): number {
    return this.pages.size * PAGE_SIZE;
  }

  /** Page frame numbers of the pages that exist, in ascending order. */
  touchedPages(): number[] {
    return [...this.pages.keys()].sort((a, b) => a - b);
  }

  /**
   * The byte at guest-physical `gpa` (0 where nothing was written).
   * @throws KernelError EFAULT beyond the memory
   */
  readU8(gpa: number): number {
    this.check(gpa, 1);
    return this.pageOf(gpa, false)?.getUint8(gpa & PAGE_MASK) ?? 0;
  }

  /**
   * The little-endian u16 at `gpa` (may cross a page).
   * @throws KernelError EFAULT beyond the memory
   */
  readU16(gpa: number): number {
    this.check(gpa, 2);
    const off = gpa & PAGE_MASK;
    if (off <= PAGE_SIZE - 2) return this.pageOf(gpa, false)?.getUint16(off, true) ?? 0;
    return this.readU8(gpa) | (this.readU8(gpa + 1) << 8);
  }

  /**
   * The little-endian u32 at `gpa` (may cross a page).
   * @throws KernelError EFAULT beyond the memory
   */
  readU32(gpa: number): number {
    const off = gpa & PAGE_MASK;
    if (gpa - off === this.lastBase && off <= PAGE_SIZE - 4) return this.lastPage!.getUint32(off, true);
    this.check(gpa, 4);
    if (off <= PAGE_SIZE - 4) return this.pageOf(gpa, false)?.getUint32(off, true) ?? 0;
    return this.readSplit(gpa, 4);
  }

  /**
   * The little-endian u64 at `gpa`, as a bigint.
   * @throws KernelError EFAULT beyond the memory
   */
  readU64(gpa: number): bigint {
    this.check(gpa, 8);
    const off = gpa & PAGE_MASK;
    if (off <= PAGE_SIZE - 8) return this.pageOf(gpa, false)?.getBigUint64(off, true) ?? 0n;
    return BigInt(this.readSplit(gpa, 4)) | (BigInt(this.readSplit(gpa + 4, 4)) << 32n);
  }

  /**
   * Store a byte at `gpa` (the write observer sees it).
   * @throws KernelError EFAULT beyond the memory
   */
  writeU8(gpa: number, value: number): void {
    this.check(gpa, 1);
    this.pageOf(gpa, true)!.setUint8(gpa & PAGE_MASK, value);
    if (this.observer !== undefined) this.observer(gpa, 1);
  }

  /**
   * Store a little-endian u16 at `gpa`.
   * @throws KernelError EFAULT beyond the memory
   */
  writeU16(gpa: number, value: number): void {
    this.check(gpa, 2);
    const off = gpa & PAGE_MASK;
    if (off <= PAGE_SIZE - 2) this.pageOf(gpa, true)!.setUint16(off, value, true);
    else this.writeSplit(gpa, value & 0xffff, 2);
    if (this.observer !== undefined) this.observer(gpa, 2);
  }

  /**
   * Store a little-endian u32 at `gpa`.
   * @throws KernelError EFAULT beyond the memory
   */
  writeU32(gpa: number, value: number): void {
    const off = gpa & PAGE_MASK;
    if (gpa - off === this.lastBase && off <= PAGE_SIZE - 4) {
      this.lastPage!.setUint32(off, value, true);
    } else {
      this.check(gpa, 4);
      if (off <= PAGE_SIZE - 4) this.pageOf(gpa, true)!.setUint32(off, value, true);
      else this.writeSplit(gpa, value >>> 0, 4);
    }
    if (this.observer !== undefined) this.observer(gpa, 4);
  }

  /**
   * Store a little-endian u64 at `gpa`.
   * @throws KernelError EFAULT beyond the memory
   */
  writeU64(gpa: number, value: bigint): void {
    this.check(gpa, 8);
    const off = gpa & PAGE_MASK;
    if (off <= PAGE_SIZE - 8) {
      this.pageOf(gpa, true)!.setBigUint64(off, BigInt.asUintN(64, value), true);
    } else {
      const v = BigInt.asUintN(64, value);
      this.writeSplit(gpa, Number(v & 0xffff_ffffn), 4);
      this.writeSplit(gpa + 4, Number(v >> 32n), 4);
    }
    if (this.observer !== undefined) this.observer(gpa, 8);
  }

  /** Copy `dst.length` bytes starting at `gpa` into `dst` (crossing pages as needed). */
  read(gpa: number, dst: Uint8Array): void {
    this.check(gpa, dst.length);
    let done = 0;
    while (done < dst.length) {
      const at = gpa + done;
      const off = at & PAGE_MASK;
      const n = Math.min(PAGE_SIZE - off, dst.length - done);
      const page = this.pageOf(at, false);
      if (page === undefined) dst.fill(0, done, done + n);
      else dst.set(new Uint8Array(page.buffer, off, n), done);
      done += n;
    }
  }

  /** Copy `src` into guest memory at `gpa` (crossing pages as needed). */
  write(gpa: number, src: Uint8Array): void {
    this.check(gpa, src.length);
    let done = 0;
    while (done < src.length) {
      const at = gpa + done;
      const off = at & PAGE_MASK;
      const n = Math.min(PAGE_SIZE - off, src.length - done);
      new Uint8Array(this.pageOf(at, true)!.buffer, off, n).set(src.subarray(done, done + n));
      done += n;
    }
    if (this.observer !== undefined && src.length > 0) this.observer(gpa, src.length);
  }

  /** A fresh copy of `length` bytes at `gpa`. */
  readBytes(gpa: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    this.read(gpa, out);
    return out;
  }

  /** Set `length` bytes at `gpa` to `value` (0 on untouched pages allocates nothing). */
  fill(gpa: number, length: number, value = 0): void {
    this.check(gpa, length);
    let done = 0;
    while (done < length) {
      const at = gpa + done;
      const off = at & PAGE_MASK;
      const n = Math.min(PAGE_SIZE - off, length - done);
      const page = this.pageOf(at, value !== 0);
      if (page !== undefined) new Uint8Array(page.buffer, off, n).fill(value);
      done += n;
    }
    if (this.observer !== undefined && length > 0) this.observer(gpa, length);
  }

  private check(gpa: number, length: number): void {
    if (!(Number.isInteger(gpa) && gpa >= 0 && length >= 0 && gpa + length <= this.size)) {
      throw new KernelError('EFAULT', `guest access [${gpa}, +${length}) outside [0, ${this.size})`, {
        gpa,
        length,
      });
    }
  }

  private pageOf(gpa: number, create: boolean): DataView | undefined {
    const base = gpa - (gpa & PAGE_MASK);
    if (base === this.lastBase) return this.lastPage;
    const pfn = base / PAGE_SIZE;
    let page = this.pages.get(pfn);
    if (page === undefined) {
      if (!create) return undefined;
      page = new DataView(new ArrayBuffer(PAGE_SIZE));
      this.pages.set(pfn, page);
    }
    this.lastBase = base;
    this.lastPage = page;
    return page;
  }

  private readSplit(gpa: number, length: number): number {
    let v = 0;
    for (let i = length - 1; i >= 0; i--) v = v * 256 + this.readU8(gpa + i);
    return v;
  }

  private writeSplit(gpa: number, value: number, length: number): void {
    for (let i = 0; i < length; i++) {
      this.pageOf(gpa + i, true)!.setUint8((gpa + i) & PAGE_MASK, value & 0xff);
      value = Math.floor(value / 256);
    }
  }
}
