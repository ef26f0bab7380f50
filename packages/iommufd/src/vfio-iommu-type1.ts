import { defineStruct, type GuestMemory, KernelError, type Task, type UserMemory } from '@vfio-sim/platform';

// Container ioctls (include/uapi/linux/vfio.h, `_IO(';', 100 + nr)`).
/**
 * `VFIO_IOMMU_MAP_DMA` (include/uapi/linux/vfio.h): container ioctl 0x3b71, map user memory at an IOVA
 * (`struct vfio_iommu_type1_dma_map`).
 */
export const VFIO_IOMMU_MAP_DMA = 0x3b71;
/**
 * `VFIO_IOMMU_UNMAP_DMA` (include/uapi/linux/vfio.h): container ioctl 0x3b72, unmap an IOVA range,
 * optionally returning its dirty bitmap.
 */
export const VFIO_IOMMU_UNMAP_DMA = 0x3b72;
/**
 * `VFIO_IOMMU_DIRTY_PAGES` (include/uapi/linux/vfio.h): container ioctl 0x3b75, start or stop dirty page
 * tracking, or get the bitmap of a range.
 */
export const VFIO_IOMMU_DIRTY_PAGES = 0x3b75;

/**
 * `VFIO_DMA_MAP_FLAG_READ` (include/uapi/linux/vfio.h): MAP_DMA flag bit 0, the device may read the mapping.
 */
export const VFIO_DMA_MAP_FLAG_READ = 1 << 0;
/**
 * `VFIO_DMA_MAP_FLAG_WRITE` (include/uapi/linux/vfio.h): MAP_DMA flag bit 1, the device may write the
 * mapping.
 */
export const VFIO_DMA_MAP_FLAG_WRITE = 1 << 1;
/**
 * `VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP` (include/uapi/linux/vfio.h): UNMAP_DMA flag bit 0, fill the `struct
 * vfio_bitmap` that follows with the range's dirty pages.
 */
export const VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP = 1 << 0;
/**
 * `VFIO_DMA_UNMAP_FLAG_ALL` (include/uapi/linux/vfio.h): UNMAP_DMA flag bit 1, unmap every mapping (iova and
 * size must be 0).
 */
export const VFIO_DMA_UNMAP_FLAG_ALL = 1 << 1;
/**
 * `VFIO_DMA_UNMAP_FLAG_VADDR` (include/uapi/linux/vfio.h): UNMAP_DMA flag bit 2, invalidate the user address
 * only (live update); not modelled.
 */
export const VFIO_DMA_UNMAP_FLAG_VADDR = 1 << 2;
/**
 * `VFIO_IOMMU_DIRTY_PAGES_FLAG_START` (include/uapi/linux/vfio.h): DIRTY_PAGES flag bit 0, start tracking.
 */
export const VFIO_IOMMU_DIRTY_PAGES_FLAG_START = 1 << 0;
/**
 * `VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP` (include/uapi/linux/vfio.h): DIRTY_PAGES flag bit 1, stop tracking and
 * drop the bitmaps.
 */
export const VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP = 1 << 1;
/**
 * `VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP` (include/uapi/linux/vfio.h): DIRTY_PAGES flag bit 2, copy (and
 * clear) the bitmap of a range.
 */
export const VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP = 1 << 2;

/** Bits a single GET may cover (`bitmap_set()`'s int argument): INT_MAX. */
export const DIRTY_BITMAP_PAGES_MAX = 2 ** 31 - 1;
/** Bytes of the largest bitmap: `DIRTY_BITMAP_BYTES(DIRTY_BITMAP_PAGES_MAX)` = 256 MiB. */
export const DIRTY_BITMAP_SIZE_MAX = Math.ceil(DIRTY_BITMAP_PAGES_MAX / 64) * 8;
/** `dma_entry_limit` module parameter default. */
export const DMA_ENTRY_LIMIT_DEFAULT = 65535;
/** Smallest IOMMU page size of the container (the only dirty-bitmap granularity type1 accepts). */
export const TYPE1_PGSIZE = 4096;

/** `struct vfio_iommu_type1_dma_map`. */
export const vfio_iommu_type1_dma_map = defineStruct(
  'vfio_iommu_type1_dma_map',
  [
    { name: 'argsz', type: 'u32' },
    { name: 'flags', type: 'u32' },
    { name: 'vaddr', type: 'u64' },
    { name: 'iova', type: 'u64' },
    { name: 'size', type: 'u64' },
  ],
  { size: 32 },
);

/** `struct vfio_iommu_type1_dma_unmap` (the optional `struct vfio_bitmap` follows at offset 24). */
export const vfio_iommu_type1_dma_unmap = defineStruct(
  'vfio_iommu_type1_dma_unmap',
  [
    { name: 'argsz', type: 'u32' },
    { name: 'flags', type: 'u32' },
    { name: 'iova', type: 'u64' },
    { name: 'size', type: 'u64' },
  ],
  { size: 24 },
);

/** `struct vfio_bitmap`. */
export const vfio_bitmap = defineStruct(
  'vfio_bitmap',
  [
    { name: 'pgsize', type: 'u64' },
    { name: 'size', type: 'u64' },
    { name: 'data', type: 'u64' },
  ],
  { size: 24 },
);

/** `struct vfio_iommu_type1_dirty_bitmap` (header; the GET payload follows at offset 8). */
export const vfio_iommu_type1_dirty_bitmap = defineStruct(
  'vfio_iommu_type1_dirty_bitmap',
  [
    { name: 'argsz', type: 'u32' },
    { name: 'flags', type: 'u32' },
  ],
  { size: 8 },
);

/** `struct vfio_iommu_type1_dirty_bitmap_get`. */
export const vfio_iommu_type1_dirty_bitmap_get = defineStruct(
  'vfio_iommu_type1_dirty_bitmap_get',
  [
    { name: 'iova', type: 'u64' },
    { name: 'size', type: 'u64' },
    { name: 'bitmap_pgsize', type: 'u64' },
    { name: 'bitmap_size', type: 'u64' },
    { name: 'bitmap_data', type: 'u64' },
  ],
  { size: 40 },
);

/** A user bitmap argument (`struct vfio_bitmap`). */
export interface VfioBitmapArg {
  readonly pgsize: number;
  /** Bytes. */
  readonly size: number;
  /** User pointer. */
  readonly data: number;
}

/** A group attached to the container. */
export interface Type1Group {
  readonly name: string;
  /**
   * Whether the group is in "pinned page dirty scope": its driver pins every page it DMAs to (mdev
   * style). A physical device passed through is not: it can DMA anywhere mapped, so everything mapped
   * is reported dirty.
   */
  readonly pinnedPageDirtyScope: boolean;
}

interface VfioDma {
  readonly iova: number;
  readonly size: number;
  readonly memory: GuestMemory;
  readonly offset: number;
  readonly read: boolean;
  readonly write: boolean;
  /** Dirty bits at TYPE1_PGSIZE (allocated while tracking). */
  bitmap: Uint8Array | null;
  /** Pin count per page. */
  readonly pinned: Map<number, number>;
}

/**
 * The legacy VFIO type1 IOMMU container with its software dirty tracking: MAP/UNMAP_DMA,
 * DIRTY_PAGES START/STOP/GET_BITMAP and unmap with GET_DIRTY_BITMAP. With any group outside pinned-page
 * scope (a physical device), every mapped page is reported dirty on every GET ("perpetually dirty").
 *
 * Kernel counterpart: drivers/vfio/vfio_iommu_type1.c (`vfio_dma_do_map`, `vfio_dma_do_unmap`,
 * `vfio_iommu_type1_dirty_pages`, `vfio_iova_dirty_bitmap`, `update_user_bitmap`, `vfio_pin_pages`,
 * `vfio_dma_rw`).
 */
export class VfioIommuType1 {
  private readonly dmas: VfioDma[] = [];
  private readonly groups: Type1Group[] = [];
  private tracking = false;
  /** Whether this is a v2 container (VFIO_TYPE1v2_IOMMU); v1 has no dirty tracking (EACCES). */
  readonly v2: boolean;
  readonly dmaEntryLimit: number;

  constructor(options: { v2?: boolean; dmaEntryLimit?: number } = {}) {
    this.v2 = options.v2 ?? true;
    this.dmaEntryLimit = options.dmaEntryLimit ?? DMA_ENTRY_LIMIT_DEFAULT;
  }

  /** Whether DIRTY_PAGES START is in effect. */
  get dirtyTracking(): boolean {
    return this.tracking;
  }

  /** Mappings (iova, size). */
  get mappings(): Array<{ iova: number; size: number }> {
    return this.dmas.map((d) => ({ iova: d.iova, size: d.size }));
  }

  /** `vfio_iommu_type1_attach_group`. */
  attachGroup(group: Type1Group): void {
    this.groups.push(group);
  }

  /** `vfio_iommu_type1_detach_group`. */
  detachGroup(group: Type1Group): void {
    const i = this.groups.indexOf(group);
    if (i >= 0) this.groups.splice(i, 1);
  }

  /**
   * `vfio_dma_do_map`: map `size` bytes of user memory at `vaddr` to `iova`.
   * @throws KernelError EINVAL (no access, zero size, misaligned, wraps), EEXIST (overlap), ENOSPC
   *   (dma_entry_limit), EFAULT (vaddr not mapped).
   */
  mapDma(
    mm: UserMemory,
    vaddr: number,
    iova: number,
    size: number,
    prot: { read: boolean; write: boolean },
  ): void {
    if ((!prot.read && !prot.write) || size <= 0)
      throw new KernelError('EINVAL', 'MAP_DMA needs access and a size');
    if (iova % TYPE1_PGSIZE !== 0 || size % TYPE1_PGSIZE !== 0 || vaddr % TYPE1_PGSIZE !== 0) {
      throw new KernelError('EINVAL', 'MAP_DMA iova/size/vaddr not page aligned');
    }
    if (!Number.isSafeInteger(iova + size)) throw new KernelError('EINVAL', 'MAP_DMA range wraps');
    if (this.dmas.some((d) => d.iova < iova + size && iova < d.iova + d.size)) {
      throw new KernelError('EEXIST', `MAP_DMA [0x${iova.toString(16)}, +0x${size.toString(16)}) overlaps`);
    }
    if (this.dmas.length >= this.dmaEntryLimit) throw new KernelError('ENOSPC', 'dma_entry_limit reached');
    const r = mm.resolve(vaddr, size);
    const dma: VfioDma = {
      iova,
      size,
      memory: r.memory,
      offset: r.offset,
      read: prot.read,
      write: prot.write,
      bitmap: null,
      pinned: new Map(),
    };
    if (this.tracking) {
      if (size / TYPE1_PGSIZE > DIRTY_BITMAP_PAGES_MAX)
        throw new KernelError('EINVAL', 'mapping too large to track');
      dma.bitmap = newDirtyBitmap(size);
    }
    this.dmas.push(dma);
    this.dmas.sort((a, b) => a.iova - b.iova);
  }

  /**
   * `vfio_dma_do_unmap`: unmap whole mappings in `[iova, iova + size)` (or all with
   * VFIO_DMA_UNMAP_FLAG_ALL); with GET_DIRTY_BITMAP, first write each removed mapping's dirty bits to
   * `bitmap`. Returns bytes unmapped (0 when nothing was there).
   * @throws KernelError EINVAL for bad flags, alignment, a bisected mapping or a bad bitmap.
   */
  unmapDma(mm: UserMemory, iova: number, size: number, flags = 0, bitmap?: VfioBitmapArg): number {
    const known = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP | VFIO_DMA_UNMAP_FLAG_ALL | VFIO_DMA_UNMAP_FLAG_VADDR;
    if ((flags & ~known) !== 0) throw new KernelError('EINVAL', `UNMAP_DMA flags 0x${flags.toString(16)}`);
    const getDirty = (flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP) !== 0;
    const all = (flags & VFIO_DMA_UNMAP_FLAG_ALL) !== 0;
    if (getDirty && (flags & (VFIO_DMA_UNMAP_FLAG_ALL | VFIO_DMA_UNMAP_FLAG_VADDR)) !== 0) {
      throw new KernelError('EINVAL', 'GET_DIRTY_BITMAP cannot be combined with ALL or VADDR');
    }
    if ((flags & VFIO_DMA_UNMAP_FLAG_VADDR) !== 0)
      throw new KernelError('EINVAL', 'VADDR updates are not modelled');
    if (all) {
      if (iova !== 0 || size !== 0) throw new KernelError('EINVAL', 'UNMAP_DMA ALL needs iova = size = 0');
      let n = 0;
      for (const d of this.dmas) n += d.size;
      this.dmas.length = 0;
      return n;
    }
    if (iova % TYPE1_PGSIZE !== 0 || size % TYPE1_PGSIZE !== 0 || size <= 0) {
      throw new KernelError('EINVAL', 'UNMAP_DMA iova/size not page aligned');
    }
    if (getDirty) {
      if (bitmap === undefined) throw new KernelError('EINVAL', 'GET_DIRTY_BITMAP without a vfio_bitmap');
      this.checkBitmap(mm, size, bitmap);
    }
    const victims = this.wholeDmasIn(iova, size, 'UNMAP_DMA');
    if (getDirty && bitmap !== undefined) {
      for (const d of victims) this.copyOut(mm, d, iova, bitmap);
    }
    let n = 0;
    for (const d of victims) {
      this.dmas.splice(this.dmas.indexOf(d), 1);
      n += d.size;
    }
    return n;
  }

  /** DIRTY_PAGES START: allocate a bitmap per mapping, seeded with the pinned pages (idempotent). */
  dirtyPagesStart(): void {
    this.checkV2();
    if (this.tracking) return;
    for (const d of this.dmas) {
      d.bitmap = newDirtyBitmap(d.size);
      this.seedPinned(d);
    }
    this.tracking = true;
  }

  /** DIRTY_PAGES STOP: free the bitmaps (idempotent). */
  dirtyPagesStop(): void {
    this.checkV2();
    for (const d of this.dmas) d.bitmap = null;
    this.tracking = false;
  }

  /**
   * DIRTY_PAGES GET_BITMAP over `[iova, iova + size)` into `bitmap`.
   * @throws KernelError EINVAL (bad sizes, page size not the IOMMU's, misaligned, wraps, not started,
   *   bisects a mapping), EACCES on a v1 container.
   */
  dirtyPagesGetBitmap(mm: UserMemory, iova: number, size: number, bitmap: VfioBitmapArg): void {
    this.checkV2();
    if (!Number.isSafeInteger(iova + size)) throw new KernelError('EINVAL', 'GET_BITMAP range wraps');
    this.checkBitmap(mm, size, bitmap);
    if (iova % TYPE1_PGSIZE !== 0 || size % TYPE1_PGSIZE !== 0) {
      throw new KernelError('EINVAL', 'GET_BITMAP iova/size not aligned to the IOMMU page size');
    }
    if (!this.tracking) throw new KernelError('EINVAL', 'dirty page tracking not started');
    for (const d of this.wholeDmasIn(iova, size, 'GET_BITMAP')) this.copyOut(mm, d, iova, bitmap);
  }

  /** `vfio_pin_pages`: a vendor driver pins `npage` pages at `iova` (they count as dirty while pinned). */
  pinPages(iova: number, npage: number): void {
    for (let p = 0; p < npage; p++) {
      const at = iova + p * TYPE1_PGSIZE;
      const d = this.dmaAt(at);
      const page = (at - d.iova) / TYPE1_PGSIZE;
      d.pinned.set(page, (d.pinned.get(page) ?? 0) + 1);
      if (d.bitmap !== null) setBit(d.bitmap, page);
    }
  }

  /** `vfio_unpin_pages`. */
  unpinPages(iova: number, npage: number): void {
    for (let p = 0; p < npage; p++) {
      const at = iova + p * TYPE1_PGSIZE;
      const d = this.dmaAt(at);
      const page = (at - d.iova) / TYPE1_PGSIZE;
      const n = (d.pinned.get(page) ?? 0) - 1;
      if (n <= 0) d.pinned.delete(page);
      else d.pinned.set(page, n);
    }
  }

  /** `vfio_dma_rw`: a vendor driver reads or writes guest memory by IOVA; writes mark pages dirty. */
  dmaRw(iova: number, data: Uint8Array, write: boolean): void {
    let done = 0;
    while (done < data.length) {
      const at = iova + done;
      const d = this.dmaAt(at);
      if (write && !d.write) throw new KernelError('EPERM', 'vfio_dma_rw write to a read-only mapping');
      const n = Math.min(data.length - done, d.iova + d.size - at);
      const chunk = data.subarray(done, done + n);
      if (write) {
        d.memory.write(d.offset + (at - d.iova), chunk);
        if (d.bitmap !== null) {
          for (
            let p = Math.floor((at - d.iova) / TYPE1_PGSIZE);
            p <= Math.floor((at + n - 1 - d.iova) / TYPE1_PGSIZE);
            p++
          ) {
            setBit(d.bitmap, p);
          }
        }
      } else d.memory.read(d.offset + (at - d.iova), chunk);
      done += n;
    }
  }

  /**
   * The container's ioctls on `current.mm`: MAP_DMA, UNMAP_DMA (with an optional vfio_bitmap) and
   * DIRTY_PAGES. @throws KernelError ENOTTY for other numbers, EINVAL for argsz/flags errors.
   */
  ioctl(current: Task, cmd: number, arg: number): number {
    const mm = current.mm;
    switch (cmd) {
      case VFIO_IOMMU_MAP_DMA: {
        const m = mm.readStruct(vfio_iommu_type1_dma_map, arg);
        if (m.argsz < 32) throw new KernelError('EINVAL', 'MAP_DMA argsz');
        const known = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
        if ((m.flags & ~known) !== 0)
          throw new KernelError('EINVAL', `MAP_DMA flags 0x${m.flags.toString(16)}`);
        this.mapDma(mm, Number(m.vaddr), Number(m.iova), Number(m.size), {
          read: (m.flags & VFIO_DMA_MAP_FLAG_READ) !== 0,
          write: (m.flags & VFIO_DMA_MAP_FLAG_WRITE) !== 0,
        });
        return 0;
      }
      case VFIO_IOMMU_UNMAP_DMA: {
        const un = mm.readStruct(vfio_iommu_type1_dma_unmap, arg);
        if (un.argsz < 24) throw new KernelError('EINVAL', 'UNMAP_DMA argsz');
        let bm: VfioBitmapArg | undefined;
        if ((un.flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP) !== 0) {
          if (un.argsz < 48) throw new KernelError('EINVAL', 'UNMAP_DMA argsz too small for vfio_bitmap');
          const b = mm.readStruct(vfio_bitmap, arg + 24);
          bm = { pgsize: Number(b.pgsize), size: Number(b.size), data: Number(b.data) };
        }
        const n = this.unmapDma(mm, Number(un.iova), Number(un.size), un.flags, bm);
        mm.writeU64(arg + 16, BigInt(n));
        return 0;
      }
      case VFIO_IOMMU_DIRTY_PAGES: {
        const h = mm.readStruct(vfio_iommu_type1_dirty_bitmap, arg);
        this.checkV2();
        const mask =
          VFIO_IOMMU_DIRTY_PAGES_FLAG_START |
          VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP |
          VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;
        if (h.argsz < 8 || (h.flags & ~mask) !== 0)
          throw new KernelError('EINVAL', 'DIRTY_PAGES argsz/flags');
        if (h.flags === 0 || (h.flags & (h.flags - 1)) !== 0)
          throw new KernelError('EINVAL', 'DIRTY_PAGES needs exactly one flag');
        if (h.flags === VFIO_IOMMU_DIRTY_PAGES_FLAG_START) this.dirtyPagesStart();
        else if (h.flags === VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP) this.dirtyPagesStop();
        else {
          if (h.argsz < 8 + 40) throw new KernelError('EINVAL', 'DIRTY_PAGES GET argsz');
          const g = mm.readStruct(vfio_iommu_type1_dirty_bitmap_get, arg + 8);
          this.dirtyPagesGetBitmap(mm, Number(g.iova), Number(g.size), {
            pgsize: Number(g.bitmap_pgsize),
            size: Number(g.bitmap_size),
            data: Number(g.bitmap_data),
          });
        }
        return 0;
      }
      default:
        throw new KernelError('ENOTTY', `type1: unknown ioctl 0x${cmd.toString(16)}`);
    }
  }

  // ---- internals -------------------------------------------------------------------------------

  private checkV2(): void {
    if (!this.v2) throw new KernelError('EACCES', 'no dirty tracking on a type1 v1 container');
  }

  private checkBitmap(mm: UserMemory, size: number, b: VfioBitmapArg): void {
    const shift = Math.log2(b.pgsize & -b.pgsize);
    const npages = Math.floor(size / 2 ** shift);
    if (!(b.pgsize > 0) || npages === 0 || b.size === 0 || b.size > DIRTY_BITMAP_SIZE_MAX) {
      throw new KernelError('EINVAL', 'bad vfio_bitmap sizes');
    }
    if (b.size < Math.ceil(npages / 64) * 8) throw new KernelError('EINVAL', 'vfio_bitmap too small');
    if (b.pgsize !== TYPE1_PGSIZE)
      throw new KernelError('EINVAL', `bitmap pgsize ${b.pgsize} is not the IOMMU page size`);
    try {
      mm.resolve(b.data, b.size);
    } catch {
      throw new KernelError('EINVAL', 'bitmap not accessible');
    }
  }

  /**
   * The mappings overlapping `[iova, iova + size)`, each of which must lie wholly inside it.
   * @throws KernelError EINVAL (`op` would bisect a mapping)
   */
  private wholeDmasIn(iova: number, size: number, op: string): VfioDma[] {
    const end = iova + size;
    const inRange = this.dmas.filter((d) => d.iova < end && iova < d.iova + d.size);
    for (const d of inRange) {
      if (d.iova < iova || d.iova + d.size > end) throw new KernelError('EINVAL', `${op} bisects a mapping`);
    }
    return inRange;
  }

  private perpetuallyDirty(): boolean {
    return this.groups.some((g) => !g.pinnedPageDirtyScope);
  }

  /**
   * `update_user_bitmap`: write the mapping's bits at its offset from `base` as whole u64 words —
   * overwriting, except that a leading partial word is OR-ed — then reset its bitmap to the pinned pages.
   */
  private copyOut(mm: UserMemory, d: VfioDma, base: number, b: VfioBitmapArg): void {
    const npages = d.size / TYPE1_PGSIZE;
    const src = d.bitmap ?? newDirtyBitmap(d.size);
    if (this.perpetuallyDirty()) {
      src.fill(0xff, 0, Math.floor(npages / 8));
      for (let p = Math.floor(npages / 8) * 8; p < npages; p++) setBit(src, p);
    }
    const shift = (d.iova - base) / TYPE1_PGSIZE;
    const firstWord = Math.floor(shift / 64);
    const lastWord = Math.floor((shift + npages - 1) / 64);
    const out = new Uint8Array((lastWord - firstWord + 1) * 8);
    const bitOff = shift % 64;
    for (let p = 0; p < npages; p++) {
      if ((src[p >> 3]! >> (p & 7)) & 1) {
        const q = bitOff + p;
        out[q >> 3]! |= 1 << (q & 7);
      }
    }
    const at = b.data + firstWord * 8;
    if (bitOff !== 0) {
      const old = mm.copyFromUser(at, 8);
      for (let i = 0; i < 8; i++) out[i]! |= old[i]!;
    }
    mm.copyToUser(at, out);
    if (d.bitmap !== null) {
      d.bitmap.fill(0);
      this.seedPinned(d);
    }
  }

  private seedPinned(d: VfioDma): void {
    if (d.bitmap === null) return;
    for (const page of d.pinned.keys()) setBit(d.bitmap, page);
  }

  private dmaAt(iova: number): VfioDma {
    const d = this.dmas.find((x) => iova >= x.iova && iova < x.iova + x.size);
    if (d === undefined) throw new KernelError('EINVAL', `IOVA 0x${iova.toString(16)} is not mapped`);
    return d;
  }
}

function newDirtyBitmap(size: number): Uint8Array {
  // One bit per page plus 64 spare bits, as the kernel allocates.
  return new Uint8Array(Math.ceil((size / TYPE1_PGSIZE + 64) / 64) * 8);
}

function setBit(b: Uint8Array, page: number): void {
  b[page >> 3]! |= 1 << (page & 7);
}
