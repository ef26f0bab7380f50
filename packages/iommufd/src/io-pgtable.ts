import { KernelError } from '@vfio-sim/platform';
import { DIRTY_SCAN_GROUP, popcount32, scanDbm32, scanDirtyBit32 } from './io-pgtable-dirty-scan.js';
import type { IommuProt, IoPgtableFormat } from './io-pgtable-format.js';
import type { IovaBitmap } from './iova-bitmap.js';

/** Levels of the vendor formats' tree: 0 = 4 KiB leaves … 3 = root. */
export const IO_PGTABLE_LEVELS = 4;
/** Bytes mapped by one entry at each level of the vendor formats: 4 KiB, 2 MiB, 1 GiB, 512 GiB. */
export const IO_PGTABLE_LEVEL_SIZE: readonly number[] = [2 ** 12, 2 ** 21, 2 ** 30, 2 ** 39];
/** One past the last IOVA the vendor formats' 4-level table translates (48-bit IOVA). */
export const IO_PGTABLE_IOVA_LIMIT = 2 ** 48;
/** `pgsize_bitmap` of the vendor formats: 4 KiB | 2 MiB | 1 GiB. */
export const IO_PGTABLE_PGSIZE_BITMAP = 2 ** 12 + 2 ** 21 + 2 ** 30;

/** Table page size (every format): 512 entries of 8 bytes. */
const TABLE_BYTES = 4096;

const ENTRIES = 512;
/** 32-bit words per table page (512 entries × 2 halves). */
const TABLE_WORDS = 1024;
/** Table pages per storage chunk (64 MiB of Uint32Array per full chunk: large, huge-page-friendly). */
const CHUNK_TABLES = 16384;
const CHUNK_SHIFT = 14;
const TWO32 = 2 ** 32;
// Module-local bindings of the per-group scans: the hot loop calls them half a million times per 64 GiB,
// and a local binding keeps the call direct (and inlinable) whatever the module loader does with imports.
const scanBit = scanDirtyBit32;
const scanDbm = scanDbm32;
const popcount = popcount32;
const G = DIRTY_SCAN_GROUP;

/** What {@link IoPgtable.walk} found for one IOVA (reused by the caller: no allocation per walk). */
export interface IoPtWalk {
  /** Whether a present leaf translates the IOVA. */
  found: boolean;
  /** Output (host-physical) address of the IOVA itself. */
  pa: number;
  /** First IOVA and size of the leaf. */
  leafIova: number;
  leafSize: number;
  /** Leaf level (0 = 4 KiB). */
  level: number;
  /** Where the leaf lives: table id and entry index. */
  table: number;
  index: number;
  /** The PTE's "address" in the table pool: `table * 512 + index` (what the IOTLB keeps). */
  pte: number;
  /** Access the leaf grants. */
  readable: boolean;
  writable: boolean;
  /** The leaf's dirty state. */
  dirty: boolean;
}

/** A fresh {@link IoPtWalk} to reuse. */
export function newIoPtWalk(): IoPtWalk {
  return {
    found: false,
    pa: 0,
    leafIova: 0,
    leafSize: 0,
    level: 0,
    table: 0,
    index: 0,
    pte: 0,
    readable: false,
    writable: false,
    dirty: false,
  };
}

/** IOVA range collected for one IOTLB invalidation (kernel `struct iommu_iotlb_gather`). */
export class IotlbGather {
  start = Number.POSITIVE_INFINITY;
  /** Exclusive end. */
  end = 0;
  /** Widen the range to cover `[iova, iova + size)` (`iommu_iotlb_gather_add_range`). */
  add(iova: number, size: number): void {
    if (iova < this.start) this.start = iova;
    if (iova + size > this.end) this.end = iova + size;
  }
  /** True while nothing was gathered (no invalidation needed). */
  get empty(): boolean {
    return this.end <= this.start;
  }
}

/**
 * A real IO page table: a radix tree of 4 KiB table pages, each 512 64-bit entries stored as two
 * `Uint32Array` halves, encoded in one of the formats ({@link IoPgtableFormat}) and shaped by its
 * geometry (granule, levels, leaf levels). Table pages live in 2 MiB chunks of one typed array each; no
 * object exists per entry or per table.
 *
 * Table entries hold the "physical address" of the child table page (its id × 4 KiB in the table
 * pool); leaves hold the host-physical output address.
 *
 * Kernel counterpart: `struct io_pgtable` / generic_pt's `pt_iommu` (map_pages, unmap_pages,
 * iova_to_phys, read_and_clear_dirty) for the three formats.
 */
export class IoPgtable {
  private readonly chunks: Uint32Array[] = [];
  /**
   * Int32 views of the same chunks, for the hot paths: a Uint32Array load of a value ≥ 2^31 (any entry
   * with address bit 31 set) leaves V8's integer fast path, an Int32Array load never does.
   */
  private readonly ichunks: Int32Array[] = [];
  private nextTable = 0;
  private readonly freeTables: number[] = [];
  private readonly flags = new Uint32Array(2);
  /** Root table id. */
  readonly root: number;
  // Read-and-clear recording state (fields, not closures: the walk allocates nothing).
  private runStart = 0;
  private runEnd = -1;
  private recBitmap: IovaBitmap | null = null;
  private recGather: IotlbGather | null = null;
  private recClear = true;
  private recCount = 0;
  /** The format's dirty masks, copied for the per-access path. */
  private readonly dirtyLo: number;
  private readonly dbmHi: number;
  /** Bytes one level-0 entry maps (4 KiB; the mock's 2 KiB). */
  readonly granule: number;
  /** Bytes one entry maps, per level. */
  readonly levelSize: readonly number[];
  /** Level of the root table. */
  readonly topLevel: number;
  /** One past the last IOVA the tree translates. */
  readonly iovaLimit: number;
  /** The leaf sizes the tree can hold (its natural `pgsize_bitmap`). */
  readonly pgsizeBitmap: number;
  /** Bit `l`: level `l` may hold leaves. */
  private readonly leafLevels: number;
  /** Output address × this = the value whose bits 51:12 the PTE holds (1 unless the granule is < 4 KiB). */
  private readonly oaScale: number;

  constructor(
    readonly format: IoPgtableFormat,
    /** Whether the domain was allocated for dirty tracking (ARM: writable leaves carry DBM). */
    readonly dirtyTracking: boolean,
  ) {
    this.dirtyLo = format.dirtyLo;
    this.dbmHi = format.dirtyEncoding === 'dbm' ? format.dbmHi : 0;
    const g = format.geometry;
    this.granule = 2 ** g.granuleShift;
    this.levelSize = Array.from({ length: g.levels }, (_, l) => this.granule * ENTRIES ** l);
    this.topLevel = g.levels - 1;
    this.iovaLimit = this.granule * ENTRIES ** g.levels;
    this.leafLevels = g.leafLevels;
    this.pgsizeBitmap = this.levelSize.reduce((sum, size, l) => sum + ((g.leafLevels >> l) & 1) * size, 0);
    this.oaScale = 2 ** (12 - g.oaShift);
    this.root = this.allocTable();
  }

  /** Table pages in use. */
  get tablePages(): number {
    return this.nextTable - this.freeTables.length;
  }

  /** Bytes of table pages in use (4 KiB each). */
  get bytes(): number {
    return this.tablePages * TABLE_BYTES;
  }

  /** The raw 64-bit entry `index` of table `t` as its two halves (tests and vendor-bit checks). */
  entry(t: number, index: number): { lo: number; hi: number } {
    const c = this.chunks[t >>> CHUNK_SHIFT]!;
    const o = ((t & (CHUNK_TABLES - 1)) << 10) + 2 * index;
    return { lo: c[o]!, hi: c[o + 1]! };
  }

  /**
   * Map `[iova, iova + length)` to `[pa, pa + length)` with the largest leaves whose size is in
   * `pgsizeBitmap` and which alignment and length allow (sizes that are not a level's entry size are
   * built from smaller leaves: the model has no contiguous-entry encodings).
   * @throws KernelError EINVAL for a range not aligned to the granule or past the tree's IOVA limit,
   *   EEXIST if any part is already mapped (nothing is changed then).
   */
  map(iova: number, pa: number, length: number, prot: IommuProt, pgsizeBitmap = this.pgsizeBitmap): void {
    const gr = this.granule;
    if (iova % gr !== 0 || pa % gr !== 0 || length % gr !== 0 || length <= 0) {
      throw new KernelError(
        'EINVAL',
        `map [0x${iova.toString(16)}, +0x${length.toString(16)}) not aligned to the ${gr}-byte granule`,
      );
    }
    if (iova + length > this.iovaLimit) {
      throw new KernelError(
        'EINVAL',
        `IOVA 0x${(iova + length).toString(16)} is past the table's ${Math.log2(this.iovaLimit)}-bit IOVA`,
      );
    }
    if (this.anyMapped(this.root, this.topLevel, 0, iova, iova + length)) {
      throw new KernelError(
        'EEXIST',
        `[0x${iova.toString(16)}, +0x${length.toString(16)}) is already mapped`,
      );
    }
    // Granule leaves are always possible.
    const pgsizes = Math.floor(pgsizeBitmap / gr) % 2 === 1 ? pgsizeBitmap : pgsizeBitmap + gr;
    this.mapRange(this.root, this.topLevel, 0, iova, pa, iova + length, prot, pgsizes);
  }

  /**
   * Unmap every leaf inside `[iova, iova + length)`; a huge leaf that straddles an end is split first.
   * Returns the bytes unmapped.
   */
  unmap(iova: number, length: number): number {
    const end = iova + length;
    if (iova % this.granule !== 0 || end % this.granule !== 0) return 0;
    // Split leaves straddling the ends, so exactly the range goes.
    for (const edge of [iova, end]) {
      while (this.splitStraddling(edge)) {}
    }
    return this.unmapRange(this.root, this.topLevel, 0, iova, end);
  }

  /** Translate `iova` into `out` (kernel `iova_to_phys`, plus where the PTE is). */
  walk(iova: number, out: IoPtWalk): boolean {
    out.found = false;
    if (!(iova >= 0 && iova < this.iovaLimit)) return false;
    const f = this.format;
    let t = this.root;
    for (let level = this.topLevel; level >= 0; level--) {
      const size = this.levelSize[level]!;
      const index = Math.floor(iova / size) % ENTRIES;
      const c = this.chunks[t >>> CHUNK_SHIFT]!;
      const o = ((t & (CHUNK_TABLES - 1)) << 10) + 2 * index;
      const lo = c[o]!;
      const hi = c[o + 1]!;
      if ((lo & f.presentLo) === 0) return false;
      if (level === 0 || f.isLeaf(lo, level)) {
        const leafIova = iova - (iova % size);
        out.found = true;
        out.leafIova = leafIova;
        out.leafSize = size;
        out.level = level;
        out.table = t;
        out.index = index;
        out.pte = t * ENTRIES + index;
        out.pa = this.outputAddress(lo, hi) + (iova - leafIova);
        out.readable = f.isReadable(lo, hi);
        out.writable = f.isWritable(lo, hi);
        out.dirty = this.isDirty(lo, hi);
        return true;
      }
      t = this.childOf(lo, hi);
    }
    return false;
  }

  /**
   * Hardware dirty update of the leaf at PTE address `pte` ({@link IoPtWalk.pte}): D=1, or clear AP[2]
   * when DBM is set (a leaf without DBM is left alone: a genuinely read-only ARM entry).
   */
  markDirty(pte: number): void {
    const c = this.ichunks[pte >>> (CHUNK_SHIFT + 9)]!;
    const o = (pte & (CHUNK_TABLES * ENTRIES - 1)) << 1;
    if (this.dbmHi === 0) c[o] = c[o]! | this.dirtyLo;
    else if ((c[o + 1]! & this.dbmHi) !== 0) c[o] = c[o]! & ~this.dirtyLo;
  }

  /**
   * Report dirty leaves overlapping `[iova, iova + length)` into `bitmap` (whole leaves; may be null to
   * only clear) and, unless `noClear`, make them clean and add them to `gather`. Returns the number of
   * dirty leaves seen.
   *
   * Kernel counterpart: `read_and_clear_dirty` of the domain's `iommu_dirty_ops` (generic_pt's recursive
   * descent; io-pgtable-arm's `arm_lpae_read_and_clear_dirty`).
   */
  readAndClearDirty(
    iova: number,
    length: number,
    noClear: boolean,
    bitmap: IovaBitmap | null,
    gather: IotlbGather | null,
  ): number {
    this.recBitmap = bitmap;
    this.recGather = gather;
    this.recClear = !noClear;
    this.recCount = 0;
    this.runEnd = -1;
    const end = Math.min(iova + length, this.iovaLimit);
    if (iova < end) this.racRange(this.root, this.topLevel, 0, iova, end);
    this.flushRun();
    this.recBitmap = null;
    this.recGather = null;
    return this.recCount;
  }

  /**
   * Split the huge leaf covering `iova` into 512 leaves of the next level, each with the parent's
   * output address, access and dirty state (so a later report is bit-for-bit the same). Returns
   * whether a leaf was split. The caller flushes the IOTLB for the leaf.
   *
   * Extension (seed thread, Joao Martins: eager splitting of IO huge pages for finer dirty
   * granularity; not upstream).
   */
  split(iova: number): boolean {
    const w = newIoPtWalk();
    if (!this.walk(iova, w) || w.level === 0) return false;
    const f = this.format;
    const c = this.chunks[w.table >>> CHUNK_SHIFT]!;
    const o = ((w.table & (CHUNK_TABLES - 1)) << 10) + 2 * w.index;
    const lo = c[o]!;
    const hi = c[o + 1]!;
    const childLevel = w.level - 1;
    const childSize = this.levelSize[childLevel]!;
    const child = this.allocTable();
    const cc = this.chunks[child >>> CHUNK_SHIFT]!;
    const co = (child & (CHUNK_TABLES - 1)) << 10;
    f.leafFlags(
      childLevel,
      { read: w.readable, write: f.isWritable(lo, hi) },
      this.dirtyTracking,
      this.flags,
    );
    let flo = this.flags[0]!;
    let fhi = this.flags[1]!;
    // Carry the hardware state (A/D, or AP[2] of DBM) of the parent into every child.
    flo = ((flo & ~f.hwStateLo) | (lo & f.hwStateLo)) >>> 0;
    if (f.dirtyEncoding === 'dbm') fhi = ((fhi & ~f.dbmHi) | (hi & f.dbmHi)) >>> 0;
    const pa = this.outputAddress(lo, hi);
    for (let i = 0; i < ENTRIES; i++) {
      const a = (pa + i * childSize) * this.oaScale;
      cc[co + 2 * i] = (flo | ((a % TWO32) & 0xfffff000)) >>> 0;
      cc[co + 2 * i + 1] = (fhi | (Math.floor(a / TWO32) & f.addrHiMask)) >>> 0;
    }
    this.writeTableEntry(c, o, childLevel, child);
    return true;
  }

  /**
   * Collapse the table below the entry of `level` (1 or 2) covering `iova` into one leaf, if its 512
   * entries are leaves with contiguous, aligned output addresses and the same access. The leaves must
   * agree on dirty state (else EBUSY: read and clear first), so reports stay exact. Returns whether a
   * collapse happened. The caller flushes the IOTLB.
   *
   * Extension (seed thread: late collapsing after tracking; not upstream).
   * @throws KernelError EBUSY when the leaves disagree on dirty state.
   */
  collapse(iova: number, level: number): boolean {
    if (level < 1 || level > this.topLevel || ((this.leafLevels >> level) & 1) === 0) return false;
    const f = this.format;
    // Find the entry at `level`.
    let t = this.root;
    let c: Uint32Array = this.chunks[0]!;
    let o = 0;
    for (let l = this.topLevel; l >= level; l--) {
      const index = Math.floor(iova / this.levelSize[l]!) % ENTRIES;
      c = this.chunks[t >>> CHUNK_SHIFT]!;
      o = ((t & (CHUNK_TABLES - 1)) << 10) + 2 * index;
      const lo = c[o]!;
      if ((lo & f.presentLo) === 0 || (l > 0 && f.isLeaf(lo, l))) return false;
      if (l > level) t = this.childOf(lo, c[o + 1]!);
    }
    const child = this.childOf(c[o]!, c[o + 1]!);
    const cc = this.chunks[child >>> CHUNK_SHIFT]!;
    const co = (child & (CHUNK_TABLES - 1)) << 10;
    const childLevel = level - 1;
    const childSize = this.levelSize[childLevel]!;
    const lo0 = cc[co]!;
    const hi0 = cc[co + 1]!;
    const pa0 = this.outputAddress(lo0, hi0);
    if (pa0 % this.levelSize[level]! !== 0) return false;
    const dirty0 = this.isDirty(lo0, hi0);
    const sameLo = ~f.hwStateLo & 0xfff;
    let mixed = false;
    for (let i = 0; i < ENTRIES; i++) {
      const lo = cc[co + 2 * i]!;
      const hi = cc[co + 2 * i + 1]!;
      if ((lo & f.presentLo) === 0 || (childLevel > 0 && !f.isLeaf(lo, childLevel))) return false;
      if ((lo & sameLo) !== (lo0 & sameLo) || (hi & ~f.addrHiMask) !== (hi0 & ~f.addrHiMask)) return false;
      if (this.outputAddress(lo, hi) !== pa0 + i * childSize) return false;
      if (this.isDirty(lo, hi) !== dirty0) mixed = true;
    }
    if (mixed) throw new KernelError('EBUSY', `leaves under 0x${iova.toString(16)} disagree on dirty state`);
    f.leafFlags(
      level,
      { read: f.isReadable(lo0, hi0), write: f.isWritable(lo0, hi0) },
      this.dirtyTracking,
      this.flags,
    );
    const flo = ((this.flags[0]! & ~f.hwStateLo) | (lo0 & f.hwStateLo)) >>> 0;
    let fhi = this.flags[1]!;
    if (f.dirtyEncoding === 'dbm') fhi = ((fhi & ~f.dbmHi) | (hi0 & f.dbmHi)) >>> 0;
    const a0 = pa0 * this.oaScale;
    c[o] = (flo | ((a0 % TWO32) & 0xfffff000)) >>> 0;
    c[o + 1] = (fhi | (Math.floor(a0 / TWO32) & f.addrHiMask)) >>> 0;
    this.freeTable(child);
    return true;
  }

  /** Every present leaf in IOVA order: `(iova, size, dirty)` (tests and diagnostics; not a hot path). */
  leaves(): Array<{ iova: number; size: number; dirty: boolean; writable: boolean }> {
    const out: Array<{ iova: number; size: number; dirty: boolean; writable: boolean }> = [];
    const visit = (t: number, level: number, base: number): void => {
      const c = this.chunks[t >>> CHUNK_SHIFT]!;
      const to = (t & (CHUNK_TABLES - 1)) << 10;
      const size = this.levelSize[level]!;
      for (let i = 0; i < ENTRIES; i++) {
        const lo = c[to + 2 * i]!;
        const hi = c[to + 2 * i + 1]!;
        if ((lo & this.format.presentLo) === 0) continue;
        const iova = base + i * size;
        if (level === 0 || this.format.isLeaf(lo, level)) {
          out.push({ iova, size, dirty: this.isDirty(lo, hi), writable: this.format.isWritable(lo, hi) });
        } else visit(this.childOf(lo, hi), level - 1, iova);
      }
    };
    visit(this.root, this.topLevel, 0);
    return out;
  }

  // ---- internals -------------------------------------------------------------------------------

  private isDirty(lo: number, hi: number): boolean {
    const f = this.format;
    if (f.dirtyEncoding === 'bit') return (lo & f.dirtyLo) !== 0;
    return (hi & f.dbmHi) !== 0 && (lo & f.dirtyLo) === 0;
  }

  private outputAddress(lo: number, hi: number): number {
    return (((lo & 0xfffff000) >>> 0) + (hi & this.format.addrHiMask) * TWO32) / this.oaScale;
  }

  private childOf(lo: number, hi: number): number {
    return this.outputAddress(lo, hi) / TABLE_BYTES;
  }

  private writeTableEntry(c: Uint32Array, o: number, childLevel: number, child: number): void {
    this.format.tableFlags(childLevel, this.flags);
    const a = child * TABLE_BYTES * this.oaScale;
    c[o] = (this.flags[0]! | ((a % TWO32) & 0xfffff000)) >>> 0;
    c[o + 1] = (this.flags[1]! | (Math.floor(a / TWO32) & this.format.addrHiMask)) >>> 0;
  }

  private allocTable(): number {
    const reused = this.freeTables.pop();
    if (reused !== undefined) {
      const o = (reused & (CHUNK_TABLES - 1)) << 10;
      this.chunks[reused >>> CHUNK_SHIFT]!.fill(0, o, o + TABLE_WORDS);
      return reused;
    }
    const t = this.nextTable++;
    if (t >>> CHUNK_SHIFT >= this.chunks.length) {
      // Chunks grow with the table count: a small table costs one small chunk.
      const n = this.chunks.length === 0 ? 8 : CHUNK_TABLES;
      const chunk = new Uint32Array(n * TABLE_WORDS);
      this.chunks.push(chunk);
      this.ichunks.push(new Int32Array(chunk.buffer));
    } else if (((t & (CHUNK_TABLES - 1)) + 1) * TABLE_WORDS > this.chunks[t >>> CHUNK_SHIFT]!.length) {
      const old = this.chunks[t >>> CHUNK_SHIFT]!;
      const grown = new Uint32Array(Math.min(CHUNK_TABLES, (old.length / TABLE_WORDS) * 4) * TABLE_WORDS);
      grown.set(old);
      this.chunks[t >>> CHUNK_SHIFT] = grown;
      this.ichunks[t >>> CHUNK_SHIFT] = new Int32Array(grown.buffer);
    }
    return t;
  }

  private tableEmpty(t: number): boolean {
    const c = this.ichunks[t >>> CHUNK_SHIFT]!;
    const o = (t & (CHUNK_TABLES - 1)) << 10;
    for (let i = o; i < o + TABLE_WORDS; i += 2) if (c[i] !== 0) return false;
    return true;
  }

  private freeTable(t: number): void {
    this.freeTables.push(t);
  }

  private anyMapped(t: number, level: number, base: number, start: number, end: number): boolean {
    const f = this.format;
    const c = this.chunks[t >>> CHUNK_SHIFT]!;
    const to = (t & (CHUNK_TABLES - 1)) << 10;
    const size = this.levelSize[level]!;
    const first = Math.floor((Math.max(start, base) - base) / size);
    const last = Math.min(ENTRIES - 1, Math.floor((end - 1 - base) / size));
    for (let i = first; i <= last; i++) {
      const lo = c[to + 2 * i]!;
      if ((lo & f.presentLo) === 0) continue;
      if (level === 0 || f.isLeaf(lo, level)) return true;
      const eb = base + i * size;
      if (this.anyMapped(this.childOf(lo, c[to + 2 * i + 1]!), level - 1, eb, start, end)) return true;
    }
    return false;
  }

  private mapRange(
    t: number,
    level: number,
    base: number,
    iova: number,
    pa: number,
    end: number,
    prot: IommuProt,
    pgsizes: number,
  ): void {
    const f = this.format;
    const size = this.levelSize[level]!;
    let i = Math.floor((iova - base) / size);
    const canLeaf = ((this.leafLevels >> level) & 1) === 1 && Math.floor(pgsizes / size) % 2 === 1;
    const s = this.oaScale;
    if (canLeaf) f.leafFlags(level, prot, this.dirtyTracking, this.flags);
    let flo = this.flags[0]!;
    let fhi = this.flags[1]!;
    while (iova < end && i < ENTRIES) {
      const eb = base + i * size;
      const c = this.chunks[t >>> CHUNK_SHIFT]!;
      const o = ((t & (CHUNK_TABLES - 1)) << 10) + 2 * i;
      if (canLeaf && iova === eb && pa % size === 0 && end - iova >= size) {
        if (level === 0) {
          // Tight loop over the run of 4 KiB leaves in this table.
          let n = Math.min(ENTRIES - i, (end - iova) / size);
          let oo = o;
          while (n-- > 0) {
            const a = pa * s;
            c[oo] = (flo | ((a % TWO32) & 0xfffff000)) >>> 0;
            c[oo + 1] = (fhi | (Math.floor(a / TWO32) & f.addrHiMask)) >>> 0;
            oo += 2;
            iova += size;
            pa += size;
            i++;
          }
          continue;
        }
        const a = pa * s;
        c[o] = (flo | ((a % TWO32) & 0xfffff000)) >>> 0;
        c[o + 1] = (fhi | (Math.floor(a / TWO32) & f.addrHiMask)) >>> 0;
        iova += size;
        pa += size;
      } else {
        let child: number;
        if ((c[o]! & f.presentLo) === 0) {
          child = this.allocTable();
          // allocTable may have replaced the chunk (growth): re-read it.
          this.writeTableEntry(this.chunks[t >>> CHUNK_SHIFT]!, o, level - 1, child);
        } else {
          child = this.childOf(c[o]!, c[o + 1]!);
        }
        const stop = Math.min(end, eb + size);
        this.mapRange(child, level - 1, eb, iova, pa, stop, prot, pgsizes);
        if (canLeaf) {
          // The recursion reused the flags scratch: restore this level's template.
          f.leafFlags(level, prot, this.dirtyTracking, this.flags);
          flo = this.flags[0]!;
          fhi = this.flags[1]!;
        }
        pa += stop - iova;
        iova = stop;
      }
      i++;
    }
  }

  private unmapRange(t: number, level: number, base: number, start: number, end: number): number {
    const f = this.format;
    const c = this.chunks[t >>> CHUNK_SHIFT]!;
    const to = (t & (CHUNK_TABLES - 1)) << 10;
    const size = this.levelSize[level]!;
    const first = Math.floor((Math.max(start, base) - base) / size);
    const last = Math.min(ENTRIES - 1, Math.floor((end - 1 - base) / size));
    let unmapped = 0;
    for (let i = first; i <= last; i++) {
      const o = to + 2 * i;
      const lo = c[o]!;
      if ((lo & f.presentLo) === 0) continue;
      const eb = base + i * size;
      if (level === 0 || f.isLeaf(lo, level)) {
        c[o] = 0;
        c[o + 1] = 0;
        unmapped += size;
      } else {
        const child = this.childOf(lo, c[o + 1]!);
        unmapped += this.unmapRange(child, level - 1, eb, start, end);
        if ((start <= eb && eb + size <= end) || this.tableEmpty(child)) {
          // The child table is empty now: free it.
          c[o] = 0;
          c[o + 1] = 0;
          this.freeTable(child);
        }
      }
    }
    return unmapped;
  }

  /** Split the huge leaf containing `edge` if the leaf starts before `edge`. */
  private splitStraddling(edge: number): boolean {
    const w = newIoPtWalk();
    if (!this.walk(edge, w) || w.level === 0 || w.leafIova === edge) return false;
    return this.split(edge);
  }

  private racRange(t: number, level: number, base: number, start: number, end: number): void {
    const f = this.format;
    const c = this.chunks[t >>> CHUNK_SHIFT]!;
    const to = (t & (CHUNK_TABLES - 1)) << 10;
    const size = this.levelSize[level]!;
    const first = Math.floor((Math.max(start, base) - base) / size);
    const last = Math.min(ENTRIES - 1, Math.floor((end - 1 - base) / size));
    if (level === 0) {
      this.racLeaves(this.ichunks[t >>> CHUNK_SHIFT]!, to, base, first, last);
      return;
    }
    for (let i = first; i <= last; i++) {
      const o = to + 2 * i;
      const lo = c[o]!;
      if ((lo & f.presentLo) === 0) continue;
      const hi = c[o + 1]!;
      const eb = base + i * size;
      if (f.isLeaf(lo, level)) {
        if (this.isDirty(lo, hi)) {
          this.record(eb, size);
          if (this.recClear)
            c[o] = f.dirtyEncoding === 'bit' ? (lo & ~f.dirtyLo) >>> 0 : (lo | f.dirtyLo) >>> 0;
        }
      } else {
        this.racRange(this.childOf(lo, hi), level - 1, eb, start, end);
      }
    }
  }

  /**
   * The hot loop: 4 KiB leaves `first..last` of one table, in groups of 32 entries (one 32-bit word of a
   * 4 KiB-granular bitmap). Each group's dirty leaves come back as a mask from the encoding's scan
   * ({@link scanDirtyBit32} / {@link scanDbm32}: the format dispatch happens once per table, not per
   * entry). Masks are OR-ed straight into the bitmap's staged words ({@link IovaBitmap.stageWords}, once
   * per table; {@link IovaBitmap.recordPages32} when the bitmap's words do not line up), and the table's
   * dirty span goes into the gather once.
   *
   * Kernel counterpart: the leaf level of `read_and_clear_dirty` with `iommu_dirty_bitmap_record()`.
   */
  private racLeaves(c: Int32Array, to: number, base: number, first: number, last: number): void {
    const dlo = this.dirtyLo;
    const dbm = this.dbmHi;
    const clear = this.recClear;
    const gr = this.granule;
    const g0 = first - (first % G);
    const groupBase = base + g0 * gr;
    // Where this table's groups land in the bitmap's staged words (-1: record leaf by leaf).
    const bm = this.recBitmap;
    const w0 = bm === null ? -1 : bm.stageWords(groupBase, gr, Math.floor((last - g0) / G) + 1);
    const words = w0 < 0 ? null : bm!.staged32;
    let count = 0;
    let firstMask = 0;
    let firstGroup = -1;
    let lastMask = 0;
    let lastGroup = -1;
    for (let k = 0, g = g0; g <= last; k++, g += G) {
      const from = g < first ? first - g : 0;
      const upto = g + G - 1 <= last ? G - 1 : last - g;
      const mask =
        dbm === 0
          ? scanBit(c, to + 2 * g, from, upto, dlo, clear)
          : scanDbm(c, to + 2 * g, from, upto, dlo, dbm, clear);
      if (mask === 0) continue;
      count += popcount(mask);
      if (firstGroup < 0) {
        firstGroup = g;
        firstMask = mask;
      }
      lastGroup = g;
      lastMask = mask;
      if (words !== null) words[w0 + k] = words[w0 + k]! | mask;
      else bm?.recordPages32(base + g * gr, gr, mask);
    }
    if (count === 0) return;
    this.recCount += count;
    if (clear) {
      const lowest = firstGroup + 31 - Math.clz32(firstMask & -firstMask);
      const highest = lastGroup + 31 - Math.clz32(lastMask);
      this.recGather?.add(base + lowest * gr, (highest - lowest + 1) * gr);
    }
  }

  private record(iova: number, size: number): void {
    this.recCount++;
    if (iova === this.runEnd) {
      this.runEnd += size;
      return;
    }
    this.flushRun();
    this.runStart = iova;
    this.runEnd = iova + size;
  }

  /** A run of contiguous dirty leaves ends: into the bitmap, and (when cleared) into the gather. */
  private flushRun(): void {
    if (this.runEnd > this.runStart) {
      this.recBitmap?.record(this.runStart, this.runEnd - this.runStart);
      if (this.recClear) this.recGather?.add(this.runStart, this.runEnd - this.runStart);
    }
    this.runEnd = -1;
    this.runStart = 0;
  }
}
