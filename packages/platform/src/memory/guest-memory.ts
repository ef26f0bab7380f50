import { KernelError } from '../errno/kernel-error.js';
import type { FieldDecl, StructLayout, StructValue } from '../struct/struct-layout.js';
import { allocSlab } from './slab-alloc.js';

/** Guest page size: 4 KiB (kernel `PAGE_SIZE` on the x86_64 / 4K-granule arm64 hosts modelled). */
export const PAGE_SIZE = 4096;
/** log2 of {@link PAGE_SIZE} (kernel `PAGE_SHIFT`). */
export const PAGE_SHIFT = 12;
const PAGE_MASK = PAGE_SIZE - 1;

/**
 * Slabs: host memory is taken a slab at a time and handed out a page at a time. A slab holds at most
 * 64 pages (256 KiB) and owns 64 slot numbers (slot = slab << 6 | page); the first slabs of a memory are
 * smaller (4, 8, 16, 32 pages), so a memory that touches a few pages holds a few pages.
 */
const SLAB_SHIFT = 6;
const SLAB_PAGES = 1 << SLAB_SHIFT;
const SLAB_MASK = SLAB_PAGES - 1;
const FIRST_SLAB_PAGES = 4;
/**
 * Full slabs given back by {@link GuestMemory.release}, taken again before new host memory (at most
 * 256 MiB kept: a process that tears down a VM and builds the next one reuses the same memory).
 */
const SLAB_POOL: Uint8Array[] = [];
const SLAB_POOL_MAX = 1024;
/** Guest pages per directory chunk (one `Int32Array` of slot numbers + 1; 0 = not populated). */
const CHUNK_SHIFT = 6;
const CHUNK_PAGES = 1 << CHUNK_SHIFT;
const CHUNK_MASK = CHUNK_PAGES - 1;

/**
 * Called after every write into guest memory with the guest-physical address and length written
 * (dirty logging hooks in here: KVM's dirty bitmap for CPU writes, an IOMMU for device writes).
 */
export type GuestWriteObserver = (gpa: number, length: number) => void;

/**
 * Guest-physical memory: a sparse array of 4 KiB pages, little-endian accessors.
 *
 * Only written pages exist (are *populated*); reading an untouched page returns zeros and allocates
 * nothing. Populated pages live in slabs of host memory (up to 256 KiB each, one `DataView` each): a
 * page is a 4 KiB window of its slab, found through a two-level directory (guest page → slot), so a page
 * costs no object of its own and a run of pages copies with one `set`. Addresses are plain numbers (exact
 * up to 2^53); 64-bit values are `bigint`. Every access is bounds-checked against the memory size and
 * fails with EFAULT, like `copy_from_user` on a bad address.
 *
 * Bulk paths for migrating RAM: {@link copyFrom} (a page or a run of pages from another memory),
 * {@link forEachPopulatedPage}, {@link discard} (give pages back), {@link release} (give it all back).
 *
 * Kernel counterpart: a KVM memslot's backing (`gfn_to_hva` + the host pages), seen through the narrow
 * interface rust-vmm's `GuestMemory` offers.
 */
export class GuestMemory {
  /** Size of the guest-physical address space in bytes. */
  readonly size: number;
  /** Directory: chunk number (pfn >> CHUNK_SHIFT) → slot + 1 of each page of the chunk (0 = none). */
  private readonly chunks = new Map<number, Int32Array>();
  /** Host memory: slab i holds slots [i << SLAB_SHIFT, (i + 1) << SLAB_SHIFT). */
  private readonly slabs: Uint8Array[] = [];
  private readonly slabViews: DataView[] = [];
  /** Slots given back by {@link discard}, reused first. */
  private readonly freeSlots: number[] = [];
  /** Pages in the last slab, and how many of them have been handed out. */
  private slabCap = 0;
  private slabUsed = 0;
  private hostPages = 0;
  private populated = 0;
  // One-entry lookup cache: consecutive accesses usually hit the same page. `lastBase` is the cached
  // page's guest-physical base; it only ever holds a page inside the memory, so an access whose
  // (gpa - offset) equals it is in range and integral without further checks (a negative, fractional
  // or out-of-range gpa can never produce a cached base). `lastView` is the page's slab, `lastOff` the
  // page's byte offset in it.
  private lastBase = -1;
  private lastView: DataView = EMPTY_VIEW;
  private lastBytes: Uint8Array = EMPTY_BYTES;
  private lastOff = 0;
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

  /** Bytes of pages that exist (have been written at least once and not discarded since). */
  touchedBytes(): number {
    return this.populated * PAGE_SIZE;
  }

  /** Bytes of host memory held: whole slabs (what the process's RSS pays for this memory at most). */
  hostBytes(): number {
    return this.hostPages * PAGE_SIZE;
  }

  /** Page frame numbers of the pages that exist, in ascending order. */
  touchedPages(): number[] {
    const out: number[] = [];
    this.forEachPopulatedPage((pfn) => out.push(pfn));
    return out;
  }

  /**
   * Call `fn` with the page frame number of every populated page in `[gpa, gpa + length)`, ascending
   * (allocates nothing per page). Pages populated or discarded by `fn` itself may or may not be seen.
   * What a VMM's first RAM pre-copy round walks (QEMU sends the pages its RAM blocks hold; a zero page
   * never populated has nothing to send).
   * @throws KernelError EINVAL if the range is not page-aligned or not inside the memory.
   */
  forEachPopulatedPage(fn: (pfn: number) => void, gpa = 0, length = this.size - gpa): void {
    this.checkPages(gpa, length, 'forEachPopulatedPage');
    const first = gpa / PAGE_SIZE;
    const end = first + length / PAGE_SIZE;
    for (const c of this.chunkKeysIn(first, end)) {
      const dir = this.chunks.get(c);
      if (dir === undefined) continue;
      const base = c * CHUNK_PAGES;
      const lo = Math.max(first - base, 0);
      const hi = Math.min(end - base, CHUNK_PAGES);
      for (let i = lo; i < hi; i++) if (dir[i] !== 0) fn(base + i);
    }
  }

  /**
   * The byte at guest-physical `gpa` (0 where nothing was written).
   * @throws KernelError EFAULT beyond the memory
   */
  readU8(gpa: number): number {
    this.check(gpa, 1);
    return this.pageOf(gpa, false) ? this.lastView.getUint8(this.lastOff + (gpa & PAGE_MASK)) : 0;
  }

  /**
   * The little-endian u16 at `gpa` (may cross a page).
   * @throws KernelError EFAULT beyond the memory
   */
  readU16(gpa: number): number {
    this.check(gpa, 2);
    const off = gpa & PAGE_MASK;
    if (off <= PAGE_SIZE - 2) {
      return this.pageOf(gpa, false) ? this.lastView.getUint16(this.lastOff + off, true) : 0;
    }
    return this.readU8(gpa) | (this.readU8(gpa + 1) << 8);
  }

  /**
   * The little-endian u32 at `gpa` (may cross a page).
   * @throws KernelError EFAULT beyond the memory
   */
  readU32(gpa: number): number {
    const off = gpa & PAGE_MASK;
    if (gpa - off === this.lastBase && off <= PAGE_SIZE - 4)
      return this.lastView.getUint32(this.lastOff + off, true);
    this.check(gpa, 4);
    if (off <= PAGE_SIZE - 4) {
      return this.pageOf(gpa, false) ? this.lastView.getUint32(this.lastOff + off, true) : 0;
    }
    return this.readSplit(gpa, 4);
  }

  /**
   * The little-endian u64 at `gpa`, as a bigint.
   * @throws KernelError EFAULT beyond the memory
   */
  readU64(gpa: number): bigint {
    const off = gpa & PAGE_MASK;
    if (gpa - off === this.lastBase && off <= PAGE_SIZE - 8)
      return this.lastView.getBigUint64(this.lastOff + off, true);
    this.check(gpa, 8);
    if (off <= PAGE_SIZE - 8) {
      return this.pageOf(gpa, false) ? this.lastView.getBigUint64(this.lastOff + off, true) : 0n;
    }
    return BigInt(this.readSplit(gpa, 4)) | (BigInt(this.readSplit(gpa + 4, 4)) << 32n);
  }

  /**
   * Store a byte at `gpa` (the write observer sees it).
   * @throws KernelError EFAULT beyond the memory
   */
  writeU8(gpa: number, value: number): void {
    this.check(gpa, 1);
    this.pageOf(gpa, true);
    this.lastView.setUint8(this.lastOff + (gpa & PAGE_MASK), value);
    if (this.observer !== undefined) this.observer(gpa, 1);
  }

  /**
   * Store a little-endian u16 at `gpa`.
   * @throws KernelError EFAULT beyond the memory
   */
  writeU16(gpa: number, value: number): void {
    this.check(gpa, 2);
    const off = gpa & PAGE_MASK;
    if (off <= PAGE_SIZE - 2) {
      this.pageOf(gpa, true);
      this.lastView.setUint16(this.lastOff + off, value, true);
    } else {
      this.writeSplit(gpa, value & 0xffff, 2);
    }
    if (this.observer !== undefined) this.observer(gpa, 2);
  }

  /**
   * Store a little-endian u32 at `gpa`.
   * @throws KernelError EFAULT beyond the memory
   */
  writeU32(gpa: number, value: number): void {
    const off = gpa & PAGE_MASK;
    if (gpa - off === this.lastBase && off <= PAGE_SIZE - 4) {
      this.lastView.setUint32(this.lastOff + off, value, true);
    } else {
      this.check(gpa, 4);
      if (off <= PAGE_SIZE - 4) {
        this.pageOf(gpa, true);
        this.lastView.setUint32(this.lastOff + off, value, true);
      } else {
        this.writeSplit(gpa, value >>> 0, 4);
      }
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
      this.pageOf(gpa, true);
      this.lastView.setBigUint64(this.lastOff + off, BigInt.asUintN(64, value), true);
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
      if (!this.pageOf(at, false)) dst.fill(0, done, done + n);
      else {
        const from = this.lastOff + off;
        dst.set(this.lastBytes.subarray(from, from + n), done);
      }
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
      this.pageOf(at, true);
      this.lastBytes.set(n === src.length ? src : src.subarray(done, done + n), this.lastOff + off);
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

  /**
   * Decode the `layout` struct at `gpa` (in place when it lies inside one page: no copy; an untouched
   * page decodes as zeros and stays untouched) — `copy_from_user` of a struct, without the copy.
   */
  readStruct<F extends readonly FieldDecl[]>(layout: StructLayout<F>, gpa: number): StructValue<F> {
    this.check(gpa, layout.size);
    const off = gpa & PAGE_MASK;
    if (off + layout.size > PAGE_SIZE) return layout.decode(this.readBytes(gpa, layout.size));
    if (!this.pageOf(gpa, false)) return layout.decode(ZERO_PAGE, off);
    return layout.decode(this.lastBytes, this.lastOff + off);
  }

  /**
   * Encode `value` as a `layout` struct at `gpa` (in place when it lies inside one page); a write like
   * {@link write} (`copy_to_user` of a struct). Nothing is written if a field is invalid.
   * @throws KernelError from {@link StructLayout.encode} (ERANGE, EINVAL), EFAULT outside the memory.
   */
  writeStruct<F extends readonly FieldDecl[]>(
    layout: StructLayout<F>,
    gpa: number,
    value: StructValue<F>,
  ): void {
    this.check(gpa, layout.size);
    const off = gpa & PAGE_MASK;
    if (off + layout.size > PAGE_SIZE) {
      this.write(gpa, layout.encode(value));
      return;
    }
    // Validate before the page is created: a refused value leaves an untouched page untouched.
    if (!this.pageOf(gpa, false)) {
      const bytes = layout.encode(value);
      this.pageOf(gpa, true);
      this.lastBytes.set(bytes, this.lastOff + off);
    } else {
      layout.encode(value, this.lastBytes, this.lastOff + off);
    }
    if (this.observer !== undefined) this.observer(gpa, layout.size);
  }

  /** Set `length` bytes at `gpa` to `value` (0 on untouched pages allocates nothing). */
  fill(gpa: number, length: number, value = 0): void {
    this.check(gpa, length);
    let done = 0;
    while (done < length) {
      const at = gpa + done;
      const off = at & PAGE_MASK;
      const n = Math.min(PAGE_SIZE - off, length - done);
      if (this.pageOf(at, value !== 0)) {
        const from = this.lastOff + off;
        this.lastBytes.fill(value, from, from + n);
      }
      done += n;
    }
    if (this.observer !== undefined && length > 0) this.observer(gpa, length);
  }

  /**
   * Make `[gpa, gpa + length)` of this memory equal the same range of `src` (same guest-physical
   * addresses; `src` may be larger or smaller as long as both hold the range): populated pages of `src`
   * are copied (runs of pages with one copy), pages `src` does not have are discarded here. The write
   * observer sees one write of the whole range. Copying a memory onto itself changes nothing.
   *
   * What a VMM's RAM migration does per page (QEMU `ram_save_page` → `ram_load_precopy`), in bulk.
   * @throws KernelError EINVAL if the range is not page-aligned; EFAULT if it is outside either memory
   * (nothing is copied then).
   */
  copyFrom(src: GuestMemory, gpa: number, length: number): void {
    this.checkPages(gpa, length, 'copyFrom');
    src.check(gpa, length);
    if (src !== this && length > 0) {
      const first = gpa / PAGE_SIZE;
      const end = first + length / PAGE_SIZE;
      for (const c of unionKeys(src.chunkKeysIn(first, end), this.chunkKeysIn(first, end))) {
        const base = c * CHUNK_PAGES;
        this.copyChunk(src, c, Math.max(first - base, 0), Math.min(end - base, CHUNK_PAGES));
      }
    }
    if (this.observer !== undefined && length > 0) this.observer(gpa, length);
  }

  /**
   * Give the host memory behind `[gpa, gpa + length)` back: whole pages stop existing (their slots are
   * reused by later writes), the bytes of partly covered pages are zeroed. Reads return zeros afterwards.
   * Not a guest write: the write observer is not called.
   *
   * Kernel counterpart: `madvise(MADV_DONTNEED)` / `fallocate(FALLOC_FL_PUNCH_HOLE)` on the backing.
   * @throws KernelError EFAULT outside the memory (nothing changes).
   */
  discard(gpa: number, length: number): void {
    this.check(gpa, length);
    const end = gpa + length;
    const first = Math.ceil(gpa / PAGE_SIZE);
    const last = Math.floor(end / PAGE_SIZE);
    if (first > last) {
      // Inside one page.
      this.zero(gpa, length);
      return;
    }
    // The partial pages at both ends (when first === last the range straddles one boundary).
    this.zero(gpa, first * PAGE_SIZE - gpa);
    this.zero(last * PAGE_SIZE, end - last * PAGE_SIZE);
    if (first === last) return;
    for (const c of this.chunkKeysIn(first, last)) {
      const dir = this.chunks.get(c)!;
      const base = c * CHUNK_PAGES;
      const hi = Math.min(last - base, CHUNK_PAGES);
      for (let i = Math.max(first - base, 0); i < hi; i++) if (dir[i] !== 0) this.dropPage(base + i);
    }
  }

  /** Zero `[gpa, gpa + length)` inside one page if that page exists (not a write: no observer). */
  private zero(gpa: number, length: number): void {
    if (length > 0 && this.pageOf(gpa, false)) {
      const from = this.lastOff + (gpa & PAGE_MASK);
      this.lastBytes.fill(0, from, from + length);
    }
  }

  /**
   * Discard every page and give the host memory back: full slabs go to a pool that later memories take
   * from, so a process that frees a VM's RAM and builds the next VM's reuses it (RSS stays flat). The
   * memory stays usable and reads as zeros. Not a guest write: the write observer is not called.
   *
   * Kernel counterpart: the last `munmap`/`close` of the memfd behind guest RAM.
   */
  release(): void {
    for (const slab of this.slabs) {
      if (slab.length === SLAB_PAGES * PAGE_SIZE && SLAB_POOL.length < SLAB_POOL_MAX) SLAB_POOL.push(slab);
    }
    this.chunks.clear();
    this.slabs.length = 0;
    this.slabViews.length = 0;
    this.freeSlots.length = 0;
    this.slabCap = this.slabUsed = this.hostPages = this.populated = 0;
    this.lastBase = -1;
    this.lastView = EMPTY_VIEW;
    this.lastBytes = EMPTY_BYTES;
  }

  private check(gpa: number, length: number): void {
    if (!(Number.isInteger(gpa) && gpa >= 0 && length >= 0 && gpa + length <= this.size)) {
      throw new KernelError('EFAULT', `guest access [${gpa}, +${length}) outside [0, ${this.size})`, {
        gpa,
        length,
      });
    }
  }

  private checkPages(gpa: number, length: number, what: string): void {
    if (!(Number.isSafeInteger(length) && gpa % PAGE_SIZE === 0 && length % PAGE_SIZE === 0)) {
      throw new KernelError('EINVAL', `${what}: [${gpa}, +${length}) is not whole pages`, { gpa, length });
    }
    this.check(gpa, length);
  }

  /**
   * Point the lookup cache at the page holding `gpa` (creating it if `create`). Returns false, leaving
   * the cache as it was, if the page does not exist and `create` is false.
   */
  private pageOf(gpa: number, create: boolean): boolean {
    const base = gpa - (gpa & PAGE_MASK);
    if (base === this.lastBase) return true;
    const pfn = base / PAGE_SIZE;
    const key = Math.floor(pfn / CHUNK_PAGES);
    let dir = this.chunks.get(key);
    let slot = dir === undefined ? 0 : dir[pfn & CHUNK_MASK]!;
    if (slot === 0) {
      if (!create) return false;
      if (dir === undefined) {
        dir = new Int32Array(CHUNK_PAGES);
        this.chunks.set(key, dir);
      }
      slot = this.allocSlot(true) + 1;
      dir[pfn & CHUNK_MASK] = slot;
      this.populated++;
    }
    slot--;
    this.lastBase = base;
    this.lastView = this.slabViews[slot >>> SLAB_SHIFT]!;
    this.lastBytes = this.slabs[slot >>> SLAB_SHIFT]!;
    this.lastOff = (slot & SLAB_MASK) << PAGE_SHIFT;
    return true;
  }

  /**
   * A free slot (a discarded one first, else the next of the last slab, else a new slab). Slabs are
   * taken uninitialised (`allocSlab`: in Node `Buffer.allocUnsafeSlow`, no zero-fill of memory about to be overwritten), so
   * the slot's bytes are zeroed here unless the caller overwrites the whole page (`zero` false).
   */
  private allocSlot(zero: boolean): number {
    let slot = this.freeSlots.pop();
    if (slot === undefined) {
      if (this.slabUsed === this.slabCap) {
        const cap = this.slabCap === 0 ? FIRST_SLAB_PAGES : Math.min(2 * this.slabCap, SLAB_PAGES);
        const slab = (cap === SLAB_PAGES ? SLAB_POOL.pop() : undefined) ?? allocSlab(cap * PAGE_SIZE);
        this.slabs.push(slab);
        this.slabViews.push(new DataView(slab.buffer, slab.byteOffset, slab.byteLength));
        this.slabCap = cap;
        this.slabUsed = 0;
        this.hostPages += cap;
      }
      slot = ((this.slabs.length - 1) << SLAB_SHIFT) | this.slabUsed++;
    }
    if (zero) {
      const off = (slot & SLAB_MASK) << PAGE_SHIFT;
      this.slabs[slot >>> SLAB_SHIFT]!.fill(0, off, off + PAGE_SIZE);
    }
    return slot;
  }

  /** Stop page `pfn` existing; its slot is kept for reuse (and zeroed when reused). */
  private dropPage(pfn: number): void {
    const key = Math.floor(pfn / CHUNK_PAGES);
    const dir = this.chunks.get(key);
    if (dir === undefined || dir[pfn & CHUNK_MASK] === 0) return;
    const slot = dir[pfn & CHUNK_MASK]! - 1;
    dir[pfn & CHUNK_MASK] = 0;
    this.freeSlots.push(slot);
    this.populated--;
    if (dir.every((s) => s === 0)) this.chunks.delete(key);
    if (this.lastBase === pfn * PAGE_SIZE) this.lastBase = -1;
  }

  /** Copy pages [lo, hi) of directory chunk `c` from `src`, one `set` per run of contiguous slots. */
  private copyChunk(src: GuestMemory, c: number, lo: number, hi: number): void {
    const from = src.chunks.get(c);
    const base = c * CHUNK_PAGES;
    let dir = this.chunks.get(c);
    if (from === undefined) {
      if (dir !== undefined) for (let i = lo; i < hi; i++) if (dir[i] !== 0) this.dropPage(base + i);
      return;
    }
    if (dir === undefined) {
      dir = new Int32Array(CHUNK_PAGES);
      this.chunks.set(c, dir);
    }
    let i = lo;
    while (i < hi) {
      const s = from[i]! - 1;
      if (s < 0) {
        if (dir[i] !== 0) this.dropPage(base + i);
        i++;
        continue;
      }
      // A run: source slots contiguous inside one slab.
      let n = 1;
      while (i + n < hi && from[i + n]! - 1 === s + n && (s + n) >>> SLAB_SHIFT === s >>> SLAB_SHIFT) n++;
      for (let k = 0; k < n; k++) {
        if (dir[i + k] === 0) {
          dir[i + k] = this.allocSlot(false) + 1;
          this.populated++;
        }
      }
      // Copy it in pieces whose destination slots are contiguous inside one slab too.
      const srcSlab = src.slabs[s >>> SLAB_SHIFT]!;
      let k = 0;
      while (k < n) {
        const d = dir[i + k]! - 1;
        let m = 1;
        while (k + m < n && dir[i + k + m]! - 1 === d + m && (d + m) >>> SLAB_SHIFT === d >>> SLAB_SHIFT) m++;
        const so = ((s + k) & SLAB_MASK) << PAGE_SHIFT;
        this.slabs[d >>> SLAB_SHIFT]!.set(
          srcSlab.subarray(so, so + m * PAGE_SIZE),
          (d & SLAB_MASK) << PAGE_SHIFT,
        );
        k += m;
      }
      i += n;
    }
  }

  /** Directory chunks that may hold pages in [first, end), ascending: the range's keys or the map's. */
  private chunkKeysIn(first: number, end: number): number[] {
    const lo = Math.floor(first / CHUNK_PAGES);
    const hi = Math.floor((end - 1) / CHUNK_PAGES);
    if (end <= first) return [];
    if (hi - lo + 1 <= this.chunks.size) {
      const keys: number[] = [];
      for (let k = lo; k <= hi; k++) if (this.chunks.has(k)) keys.push(k);
      return keys;
    }
    const keys: number[] = [];
    for (const k of this.chunks.keys()) if (k >= lo && k <= hi) keys.push(k);
    return keys.sort((a, b) => a - b);
  }

  private readSplit(gpa: number, length: number): number {
    let v = 0;
    for (let i = length - 1; i >= 0; i--) v = v * 256 + this.readU8(gpa + i);
    return v;
  }

  private writeSplit(gpa: number, value: number, length: number): void {
    for (let i = 0; i < length; i++) {
      this.pageOf(gpa + i, true);
      this.lastView.setUint8(this.lastOff + ((gpa + i) & PAGE_MASK), value & 0xff);
      value = Math.floor(value / 256);
    }
  }
}

const EMPTY_BYTES = new Uint8Array(0);
/** What an untouched page reads as. */
const ZERO_PAGE = new Uint8Array(PAGE_SIZE);
const EMPTY_VIEW = new DataView(EMPTY_BYTES.buffer);

/** Ascending union of two ascending key lists without duplicates. */
function unionKeys(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = i < a.length ? a[i]! : Number.POSITIVE_INFINITY;
    const y = j < b.length ? b[j]! : Number.POSITIVE_INFINITY;
    if (x <= y) {
      out.push(x);
      i++;
      if (x === y) j++;
    } else {
      out.push(y);
      j++;
    }
  }
  return out;
}
