import { type GuestMemory, KernelError, PAGE_SIZE, type Task, type UserMemory } from '@vfio-sim/platform';
import { IO_PGTABLE_IOVA_LIMIT, IO_PGTABLE_PGSIZE_BITMAP } from './io-pgtable.js';
import type { IovaRange } from './iommu-domain.js';
import { dmaAvailCap, iovaRangeCap, migrationCap, type1GetInfo } from './type1-info.js';
import { accessOk, copyMinFromUser } from './user-struct.js';
import { VfioInfoCap } from './vfio-info-cap.js';
import {
  VFIO_CHECK_EXTENSION,
  VFIO_DMA_CC_IOMMU,
  VFIO_DMA_MAP_FLAG_READ,
  VFIO_DMA_MAP_FLAG_VADDR,
  VFIO_DMA_MAP_FLAG_WRITE,
  VFIO_DMA_UNMAP_FLAG_ALL,
  VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP,
  VFIO_DMA_UNMAP_FLAG_VADDR,
  VFIO_IOMMU_DIRTY_PAGES,
  VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP,
  VFIO_IOMMU_DIRTY_PAGES_FLAG_START,
  VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP,
  VFIO_IOMMU_GET_INFO,
  VFIO_IOMMU_MAP_DMA,
  VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE,
  VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION,
  VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL,
  VFIO_IOMMU_UNMAP_DMA,
  VFIO_TYPE1_IOMMU,
  VFIO_TYPE1v2_IOMMU,
  VFIO_UNMAP_ALL,
  VFIO_UPDATE_VADDR,
  vfio_bitmap,
  vfio_iommu_type1_dirty_bitmap,
  vfio_iommu_type1_dirty_bitmap_get,
  vfio_iommu_type1_dma_map,
  vfio_iommu_type1_dma_unmap,
} from './vfio-type1-uapi.js';

/** Bits a single GET may cover (`bitmap_set()`'s int argument): INT_MAX. */
export const DIRTY_BITMAP_PAGES_MAX = 2 ** 31 - 1;
/** Bytes of the largest bitmap: `DIRTY_BITMAP_BYTES(DIRTY_BITMAP_PAGES_MAX)` = 256 MiB. */
export const DIRTY_BITMAP_SIZE_MAX = Math.ceil(DIRTY_BITMAP_PAGES_MAX / 64) * 8;
/** `dma_entry_limit` module parameter default. */
export const DMA_ENTRY_LIMIT_DEFAULT = 65535;

const U64_MAX = (1n << 64n) - 1n;
/** `PAGE_MASK` as a u64: the container's `pgsize_bitmap` before any IOMMU domain joins. */
const PAGE_MASK = U64_MAX - BigInt(PAGE_SIZE - 1);
/** IOVAs at or past this are beyond what the model represents exactly. */
const MODEL_LIMIT = 2 ** 53;

/** A user bitmap argument (`struct vfio_bitmap`). */
export interface VfioBitmapArg {
  readonly pgsize: number | bigint;
  /** Bytes. */
  readonly size: number | bigint;
  /** User pointer. */
  readonly data: number | bigint;
}

interface Bitmap64 {
  readonly pgsize: bigint;
  readonly size: bigint;
  readonly data: bigint;
}

/** A group attached to the container. */
export interface Type1Group {
  readonly name: string;
  /**
   * Whether the group is in "pinned page dirty scope": an emulated (mdev-style) group, whose driver
   * pins every page it DMAs to and has no IOMMU domain. A physical device's group is not: it has an
   * IOMMU domain, can DMA anywhere mapped, so everything mapped is reported dirty.
   */
  readonly pinnedPageDirtyScope: boolean;
  /** IOMMU-backed groups: the domain's `pgsize_bitmap` (default 4 KiB | 2 MiB | 1 GiB). */
  readonly pgsizeBitmap?: number;
  /** IOMMU-backed groups: the domain's aperture (default the 48-bit tables' [0, 2^48 - 1]). */
  readonly aperture?: IovaRange;
  /**
   * The group's device's `vfio_device_ops.dma_unmap`: told about a range about to be unmapped that
   * holds pages it pinned; it must unpin them. A container needs one to pin pages at all.
   */
  readonly dmaUnmap?: (iova: number, size: number) => void;
}

interface VfioDma {
  readonly iova: number;
  readonly size: number;
  vaddr: number;
  readonly mm: UserMemory;
  /** The pinned memory behind `vaddr` (pinned at map time with an IOMMU domain, else on first use). */
  memory: GuestMemory | null;
  offset: number;
  readonly read: boolean;
  readonly write: boolean;
  /** Dirty bits at the container's page size (allocated while tracking, 64 spare bits). */
  bitmap: Uint8Array | null;
  /** Pin count per page (`pfn_list`). */
  readonly pinned: Map<number, number>;
  /** VFIO_DMA_UNMAP_FLAG_VADDR was applied and no MAP_DMA VADDR has restored it yet. */
  vaddrInvalid: boolean;
}

/**
 * The legacy VFIO type1 IOMMU driver of a container, with its software dirty tracking: MAP/UNMAP_DMA
 * (VFIO_DMA_UNMAP_FLAG_ALL, the VADDR live-update pair, GET_DIRTY_BITMAP), DIRTY_PAGES
 * START/STOP/GET_BITMAP, GET_INFO with its capability chain and CHECK_EXTENSION, each with the kernel's
 * checks in the kernel's order. With any IOMMU-backed group (a physical device), every mapped page is
 * reported dirty on every GET ("perpetually dirty"); emulated groups report what they pinned or wrote
 * through `vfio_dma_rw`.
 *
 * Kernel counterpart: drivers/vfio/vfio_iommu_type1.c (newest; `vfio_iommu_type1_ioctl`,
 * `vfio_dma_do_map`, `vfio_dma_do_unmap`, `vfio_iommu_type1_dirty_pages`, `vfio_iova_dirty_bitmap`,
 * `update_user_bitmap`, `vfio_iommu_type1_get_info`, `vfio_iommu_type1_check_extension`,
 * `vfio_iommu_type1_pin_pages`, `vfio_iommu_type1_dma_rw`, `vfio_iommu_type1_attach_group`).
 */
export class VfioIommuType1 {
  private readonly dmas: VfioDma[] = [];
  private readonly groups: Type1Group[] = [];
  private tracking = false;
  /** Whether this is a v2 container (VFIO_TYPE1v2_IOMMU); v1 keeps the old unmap rules and has no dirty tracking. */
  readonly v2: boolean;
  readonly dmaEntryLimit: number;

  constructor(options: { v2?: boolean; dmaEntryLimit?: number } = {}) {
    this.v2 = options.v2 ?? true;
    this.dmaEntryLimit = options.dmaEntryLimit ?? DMA_ENTRY_LIMIT_DEFAULT;
  }

  /**
   * `vfio_iommu_type1_open`: the driver for VFIO_SET_IOMMU `type` (TYPE1 → v1, TYPE1v2 → v2).
   * @throws KernelError EINVAL for any other type (the removed nesting type included).
   */
  static open(type: number, options: { dmaEntryLimit?: number } = {}): VfioIommuType1 {
    if (type !== VFIO_TYPE1_IOMMU && type !== VFIO_TYPE1v2_IOMMU) {
      throw new KernelError('EINVAL', `type1 cannot open IOMMU type ${type}`);
    }
    return new VfioIommuType1({ ...options, v2: type === VFIO_TYPE1v2_IOMMU });
  }

  /**
   * `vfio_iommu_type1_check_extension` (`iommu` undefined: asked before VFIO_SET_IOMMU): TYPE1,
   * TYPE1v2 and UNMAP_ALL → 1; UPDATE_VADDR → 1 on a set container without emulated groups;
   * DMA_CC_IOMMU → 1 on a set container (every domain of the model enforces coherency); else 0 —
   * including the removed nesting type (newest).
   */
  static checkExtension(iommu: VfioIommuType1 | undefined, arg: number): number {
    switch (arg) {
      case VFIO_TYPE1_IOMMU:
      case VFIO_TYPE1v2_IOMMU:
      case VFIO_UNMAP_ALL:
        return 1;
      case VFIO_UPDATE_VADDR:
        return iommu !== undefined && !iommu.hasEmulated() ? 1 : 0;
      case VFIO_DMA_CC_IOMMU:
        return iommu !== undefined ? 1 : 0;
      default:
        return 0;
    }
  }

  /** Whether DIRTY_PAGES START is in effect. */
  get dirtyTracking(): boolean {
    return this.tracking;
  }

  /** Mappings (iova, size). */
  get mappings(): Array<{ iova: number; size: number }> {
    return this.dmas.map((d) => ({ iova: d.iova, size: d.size }));
  }

  /** `dma_avail`: how many more mappings the container takes. */
  get dmaAvail(): number {
    return this.dmaEntryLimit - this.dmas.length;
  }

  /**
   * The container's `pgsize_bitmap`: PAGE_MASK until an IOMMU-backed group joins, then the page sizes
   * every domain supports, with sub-page sizes replaced by PAGE_SIZE (`vfio_update_pgsize_bitmap`).
   */
  get pgsizeBitmap(): bigint {
    const iommuGroups = this.groups.filter((g) => !g.pinnedPageDirtyScope);
    if (iommuGroups.length === 0) return PAGE_MASK;
    let b = U64_MAX;
    for (const g of iommuGroups) b &= BigInt(g.pgsizeBitmap ?? IO_PGTABLE_PGSIZE_BITMAP);
    if ((b & BigInt(PAGE_SIZE - 1)) !== 0n) b = (b & PAGE_MASK) | BigInt(PAGE_SIZE);
    return b;
  }

  /** The smallest IOMMU page (`1 << __ffs(pgsize_bitmap)`): MAP/UNMAP alignment and the one dirty-bitmap page size. */
  get pgsize(): number {
    const b = this.pgsizeBitmap;
    return Number(b & -b);
  }

  /**
   * `iova_list`: the IOVA ranges the IOMMU-backed groups' domains can all map (the intersection of
   * their apertures); empty with only emulated groups, which puts no limit on MAP_DMA.
   */
  iovaRanges(): IovaRange[] {
    const iommuGroups = this.groups.filter((g) => !g.pinnedPageDirtyScope);
    if (iommuGroups.length === 0) return [];
    let start = 0;
    let last = IO_PGTABLE_IOVA_LIMIT - 1;
    for (const g of iommuGroups) {
      start = Math.max(start, g.aperture?.start ?? 0);
      last = Math.min(last, g.aperture?.last ?? IO_PGTABLE_IOVA_LIMIT - 1);
    }
    return start <= last ? [{ start, last }] : [];
  }

  /**
   * `vfio_iommu_type1_attach_group`.
   * @throws KernelError EINVAL when the group is attached already, or an existing mapping lies outside
   *   its domain's aperture (`vfio_iommu_aper_conflict`); nothing changes then.
   */
  attachGroup(group: Type1Group): void {
    if (this.groups.includes(group)) throw new KernelError('EINVAL', `${group.name} is already attached`);
    if (!group.pinnedPageDirtyScope) {
      const a = group.aperture ?? { start: 0, last: IO_PGTABLE_IOVA_LIMIT - 1 };
      const outside = this.dmas.find((d) => d.iova < a.start || d.iova + d.size - 1 > a.last);
      if (outside !== undefined) {
        throw new KernelError(
          'EINVAL',
          `mapping at 0x${outside.iova.toString(16)} is outside ${group.name}'s aperture`,
        );
      }
    }
    this.groups.push(group);
  }

  /**
   * `vfio_iommu_type1_detach_group`: a group outside pinned-page scope leaving while tracking marks
   * every mapped page dirty (its device may have written anywhere); the last group leaving unmaps
   * everything.
   */
  detachGroup(group: Type1Group): void {
    const i = this.groups.indexOf(group);
    if (i < 0) return;
    this.groups.splice(i, 1);
    if (!group.pinnedPageDirtyScope && this.tracking) {
      for (const d of this.dmas) setBits(d.bitmap!, 0, d.size / this.pgsize);
    }
    if (this.groups.length === 0) this.dmas.length = 0;
  }

  /**
   * `vfio_dma_do_map`: map `size` bytes of user memory at `vaddr` to `iova`.
   * @throws KernelError EINVAL (no access, zero size, misaligned, wraps, outside the IOVA ranges,
   *   too large to track), EEXIST (overlap), ENOSPC (dma_entry_limit), EFAULT (vaddr not mapped).
   */
  mapDma(
    mm: UserMemory,
    vaddr: number,
    iova: number,
    size: number,
    prot: { read: boolean; write: boolean },
  ): void {
    const flags = (prot.read ? VFIO_DMA_MAP_FLAG_READ : 0) | (prot.write ? VFIO_DMA_MAP_FLAG_WRITE : 0);
    this.doMap(mm, flags, BigInt(vaddr), BigInt(iova), BigInt(size));
  }

  /**
   * MAP_DMA with VFIO_DMA_MAP_FLAG_VADDR: give the mapping at exactly `[iova, iova + size)`, invalidated
   * by an UNMAP_DMA with VFIO_DMA_UNMAP_FLAG_VADDR, its new process address.
   * @throws KernelError ENOENT (no mapping there), EINVAL (not invalidated, or not exactly that mapping).
   */
  updateVaddr(mm: UserMemory, vaddr: number, iova: number, size: number): void {
    this.doMap(mm, VFIO_DMA_MAP_FLAG_VADDR, BigInt(vaddr), BigInt(iova), BigInt(size));
  }

  /**
   * UNMAP_DMA: unmap the mappings in `[iova, iova + size)` (or all with VFIO_DMA_UNMAP_FLAG_ALL, or
   * only invalidate their process addresses with VADDR); with GET_DIRTY_BITMAP first write each removed
   * mapping's dirty bits to `bitmap`. Returns the bytes unmapped (0 when nothing was there).
   * @throws KernelError as {@link ioctl}'s VFIO_IOMMU_UNMAP_DMA, after its `argsz` checks.
   */
  unmapDma(mm: UserMemory, iova: number, size: number, flags = 0, bitmap?: VfioBitmapArg): number {
    this.checkUnmapFlags(flags);
    const bm = bitmap === undefined ? undefined : toBitmap64(bitmap);
    if ((flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP) !== 0) {
      if (bm === undefined) throw new KernelError('EINVAL', 'GET_DIRTY_BITMAP without a vfio_bitmap');
      checkUserBitmap(BigInt(size), bm);
    }
    return this.doUnmap(mm, flags, BigInt(iova), BigInt(size), bm);
  }

  /** DIRTY_PAGES START: allocate a bitmap per mapping, seeded with the pinned pages (idempotent). */
  dirtyPagesStart(): void {
    this.checkV2();
    if (this.tracking) return;
    const pgsize = this.pgsize;
    for (const d of this.dmas) {
      if (d.size / pgsize > DIRTY_BITMAP_PAGES_MAX) {
        throw new KernelError('EINVAL', `mapping at 0x${d.iova.toString(16)} too large to track`);
      }
    }
    for (const d of this.dmas) {
      d.bitmap = newDirtyBitmap(d.size / pgsize);
      this.seedPinned(d);
    }
    this.tracking = true;
  }

  /** DIRTY_PAGES STOP: free the bitmaps (idempotent). */
  dirtyPagesStop(): void {
    this.checkV2();
    if (!this.tracking) return;
    this.tracking = false;
    for (const d of this.dmas) d.bitmap = null;
  }

  /**
   * DIRTY_PAGES GET_BITMAP over `[iova, iova + size)` into `bitmap`.
   * @throws KernelError as {@link ioctl}'s VFIO_IOMMU_DIRTY_PAGES GET_BITMAP, after its `argsz` checks.
   */
  dirtyPagesGetBitmap(mm: UserMemory, iova: number, size: number, bitmap: VfioBitmapArg): void {
    this.checkV2();
    this.getBitmap(mm, BigInt(iova), BigInt(size), toBitmap64(bitmap));
  }

  /**
   * `vfio_pin_pages` (through `vfio_iommu_type1_pin_pages`): a vendor driver pins `npage` pages at
   * `iova` for DMA with `prot`; they count as dirty while pinned. All or nothing.
   * @throws KernelError EACCES (v1), EBUSY (a process address is invalidated), EINVAL (no group told
   *   about unmaps, or a page not mapped), EPERM (the mapping lacks `prot`), EFAULT (user memory gone).
   */
  pinPages(
    iova: number,
    npage: number,
    prot: { read: boolean; write: boolean } = { read: true, write: true },
  ): void {
    if (!this.v2) throw new KernelError('EACCES', 'vfio_pin_pages needs a type1 v2 container');
    if (this.dmas.some((d) => d.vaddrInvalid)) {
      throw new KernelError('EBUSY', 'vfio_pin_pages not allowed with VFIO_UPDATE_VADDR');
    }
    if (!this.groups.some((g) => g.dmaUnmap !== undefined)) {
      throw new KernelError('EINVAL', 'no device registered a dma_unmap callback');
    }
    const pages: Array<{ d: VfioDma; page: number }> = [];
    for (let p = 0; p < npage; p++) {
      const at = iova + p * PAGE_SIZE;
      const d = this.findDma(at, PAGE_SIZE);
      if (d === undefined) throw new KernelError('EINVAL', `IOVA 0x${at.toString(16)} is not mapped`);
      if ((prot.read && !d.read) || (prot.write && !d.write)) {
        throw new KernelError('EPERM', `mapping at 0x${d.iova.toString(16)} lacks the access asked`);
      }
      this.pin(d);
      pages.push({ d, page: (at - d.iova) / PAGE_SIZE });
    }
    const shift = Math.log2(this.pgsize);
    for (const { d, page } of pages) {
      d.pinned.set(page, (d.pinned.get(page) ?? 0) + 1);
      if (d.bitmap !== null) setBits(d.bitmap, Math.floor((page * PAGE_SIZE) / 2 ** shift), 1);
    }
  }

  /** `vfio_unpin_pages`: stops at the first page not mapped (the kernel WARNs). */
  unpinPages(iova: number, npage: number): void {
    for (let p = 0; p < npage; p++) {
      const at = iova + p * PAGE_SIZE;
      const d = this.findDma(at, PAGE_SIZE);
      if (d === undefined) return;
      const page = (at - d.iova) / PAGE_SIZE;
      const n = (d.pinned.get(page) ?? 0) - 1;
      if (n <= 0) d.pinned.delete(page);
      else d.pinned.set(page, n);
    }
  }

  /**
   * `vfio_dma_rw`: a vendor driver reads or writes guest memory by IOVA; writes mark pages dirty.
   * @throws KernelError EBUSY (a process address is invalidated), EINVAL (not mapped), EPERM (a write to
   *   a mapping without WRITE, or any access to one without READ), EFAULT (user memory gone).
   */
  dmaRw(iova: number, data: Uint8Array, write: boolean): void {
    if (this.dmas.some((d) => d.vaddrInvalid)) {
      throw new KernelError('EBUSY', 'vfio_dma_rw not allowed with VFIO_UPDATE_VADDR');
    }
    let done = 0;
    while (done < data.length) {
      const at = iova + done;
      const d = this.findDma(at, 1);
      if (d === undefined) throw new KernelError('EINVAL', `IOVA 0x${at.toString(16)} is not mapped`);
      if ((write && !d.write) || !d.read) {
        throw new KernelError(
          'EPERM',
          `vfio_dma_rw ${write ? 'write' : 'read'} refused at 0x${at.toString(16)}`,
        );
      }
      const n = Math.min(data.length - done, d.iova + d.size - at);
      const chunk = data.subarray(done, done + n);
      const { memory, offset } = this.pin(d);
      if (write) {
        memory.write(offset + (at - d.iova), chunk);
        if (d.bitmap !== null) {
          const pg = this.pgsize;
          const first = Math.floor((at - d.iova) / pg);
          setBits(d.bitmap, first, Math.floor((at + n - 1 - d.iova) / pg) - first + 1);
        }
      } else memory.read(offset + (at - d.iova), chunk);
      done += n;
    }
  }

  /**
   * The driver's ioctls on `current.mm` (`vfio_iommu_type1_ioctl`): CHECK_EXTENSION, GET_INFO,
   * MAP_DMA, UNMAP_DMA (with an optional `struct vfio_bitmap` after the 24-byte struct), DIRTY_PAGES.
   * @throws KernelError ENOTTY for other numbers; each command's errno in the kernel's order.
   */
  ioctl(current: Task, cmd: number, arg: number): number {
    const mm = current.mm;
    switch (cmd) {
      case VFIO_CHECK_EXTENSION:
        return VfioIommuType1.checkExtension(this, arg);
      case VFIO_IOMMU_GET_INFO:
        return type1GetInfo(mm, arg, this.pgsizeBitmap, this.infoCaps());
      case VFIO_IOMMU_MAP_DMA:
        return this.ioctlMapDma(mm, arg);
      case VFIO_IOMMU_UNMAP_DMA:
        return this.ioctlUnmapDma(mm, arg);
      case VFIO_IOMMU_DIRTY_PAGES:
        return this.ioctlDirtyPages(mm, arg);
      default:
        throw new KernelError('ENOTTY', `type1: unknown ioctl 0x${cmd.toString(16)}`);
    }
  }

  // ---- ioctls ----------------------------------------------------------------------------------

  /** `vfio_iommu_type1_map_dma`: `argsz` below 32 or flags beyond READ | WRITE | VADDR → EINVAL. */
  private ioctlMapDma(mm: UserMemory, arg: number): number {
    const minsz = vfio_iommu_type1_dma_map.offsetOfEnd('size');
    const map = copyMinFromUser(mm, vfio_iommu_type1_dma_map, arg, minsz);
    const mask = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE | VFIO_DMA_MAP_FLAG_VADDR;
    if (map.argsz < minsz || (map.flags & ~mask) !== 0) {
      throw new KernelError('EINVAL', `MAP_DMA argsz ${map.argsz} / flags 0x${map.flags.toString(16)}`);
    }
    this.doMap(mm, map.flags, map.vaddr, map.iova, map.size);
    return 0;
  }

  /**
   * `vfio_iommu_type1_unmap_dma`: `argsz` below 24 or unknown flags → EINVAL; GET_DIRTY_BITMAP with ALL
   * or VADDR → EINVAL; with GET_DIRTY_BITMAP `argsz` must cover the `struct vfio_bitmap` (EINVAL),
   * which is then read (EFAULT) and checked (`access_ok`, `verify_bitmap_size`: EINVAL). Then
   * `vfio_dma_do_unmap`; only on success is `size` (the bytes unmapped) copied back.
   */
  private ioctlUnmapDma(mm: UserMemory, arg: number): number {
    const minsz = vfio_iommu_type1_dma_unmap.offsetOfEnd('size');
    const unmap = copyMinFromUser(mm, vfio_iommu_type1_dma_unmap, arg, minsz);
    if (unmap.argsz < minsz) throw new KernelError('EINVAL', `UNMAP_DMA argsz ${unmap.argsz} < ${minsz}`);
    this.checkUnmapFlags(unmap.flags);
    let bitmap: Bitmap64 | undefined;
    if ((unmap.flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP) !== 0) {
      if (unmap.argsz < minsz + vfio_bitmap.size) {
        throw new KernelError('EINVAL', `UNMAP_DMA argsz ${unmap.argsz} too small for the vfio_bitmap`);
      }
      bitmap = mm.readStruct(vfio_bitmap, arg + minsz);
      checkUserBitmap(unmap.size, bitmap);
    }
    unmap.size = BigInt(this.doUnmap(mm, unmap.flags, unmap.iova, unmap.size, bitmap));
    mm.copyToUser(arg, vfio_iommu_type1_dma_unmap.encode(unmap).subarray(0, minsz));
    return 0;
  }

  /**
   * `vfio_iommu_type1_dirty_pages`: v1 → EACCES (before anything is read); `argsz` below 8 or unknown
   * flags → EINVAL; not exactly one flag → EINVAL; START / STOP (idempotent); GET_BITMAP: `argsz` must
   * cover the 40-byte range (EINVAL), which is read (EFAULT) and checked in the kernel's order.
   */
  private ioctlDirtyPages(mm: UserMemory, arg: number): number {
    this.checkV2();
    const minsz = vfio_iommu_type1_dirty_bitmap.offsetOfEnd('flags');
    const dirty = copyMinFromUser(mm, vfio_iommu_type1_dirty_bitmap, arg, minsz);
    const mask =
      VFIO_IOMMU_DIRTY_PAGES_FLAG_START |
      VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP |
      VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;
    if (dirty.argsz < minsz || (dirty.flags & ~mask) !== 0) {
      throw new KernelError(
        'EINVAL',
        `DIRTY_PAGES argsz ${dirty.argsz} / flags 0x${dirty.flags.toString(16)}`,
      );
    }
    // __ffs(flags) != __fls(flags): more than one flag (none falls through to -EINVAL).
    if (dirty.flags === 0 || (dirty.flags & (dirty.flags - 1)) !== 0) {
      throw new KernelError('EINVAL', 'DIRTY_PAGES needs exactly one flag');
    }
    if (dirty.flags === VFIO_IOMMU_DIRTY_PAGES_FLAG_START) this.dirtyPagesStart();
    else if (dirty.flags === VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP) this.dirtyPagesStop();
    else {
      const dataSize = dirty.argsz - minsz;
      if (dataSize === 0 || dataSize < vfio_iommu_type1_dirty_bitmap_get.size) {
        throw new KernelError('EINVAL', `DIRTY_PAGES GET_BITMAP argsz ${dirty.argsz} too small`);
      }
      const g = mm.readStruct(vfio_iommu_type1_dirty_bitmap_get, arg + minsz);
      this.getBitmap(mm, g.iova, g.size, {
        pgsize: g.bitmap_pgsize,
        size: g.bitmap_size,
        data: g.bitmap_data,
      });
    }
    return 0;
  }

  // ---- the checks, in the kernel's order ----------------------------------------------------------

  /** The flag checks of `vfio_iommu_type1_unmap_dma`. */
  private checkUnmapFlags(flags: number): void {
    const mask = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP | VFIO_DMA_UNMAP_FLAG_VADDR | VFIO_DMA_UNMAP_FLAG_ALL;
    if ((flags & ~mask) !== 0) throw new KernelError('EINVAL', `UNMAP_DMA flags 0x${flags.toString(16)}`);
    if (
      (flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP) !== 0 &&
      (flags & (VFIO_DMA_UNMAP_FLAG_ALL | VFIO_DMA_UNMAP_FLAG_VADDR)) !== 0
    ) {
      throw new KernelError('EINVAL', 'GET_DIRTY_BITMAP cannot be combined with ALL or VADDR');
    }
  }

  /**
   * `vfio_dma_do_map`: (READ or WRITE) xor VADDR → else EINVAL; size 0, or size / iova / vaddr not
   * multiples of the IOMMU page → EINVAL; iova or vaddr range wraps → EINVAL; VADDR: no mapping there
   * → ENOENT, not invalidated or not exactly it → EINVAL; an overlap → EEXIST; no `dma_avail` → ENOSPC;
   * outside the IOVA ranges → EINVAL; user memory not there (pinned now when an IOMMU domain exists) →
   * EFAULT; while tracking, more than INT_MAX pages → EINVAL (the mapping is removed again).
   */
  private doMap(mm: UserMemory, flags: number, vaddr: bigint, iova: bigint, size: bigint): void {
    const setVaddr = (flags & VFIO_DMA_MAP_FLAG_VADDR) !== 0;
    const prot = flags & (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
    if ((prot !== 0 && setVaddr) || (prot === 0 && !setVaddr)) {
      throw new KernelError('EINVAL', 'MAP_DMA needs READ/WRITE, or VADDR alone');
    }
    const pgmask = BigInt(this.pgsize - 1);
    if (size === 0n || ((size | iova | vaddr) & pgmask) !== 0n) {
      throw new KernelError('EINVAL', `MAP_DMA size/iova/vaddr not multiples of ${this.pgsize}`);
    }
    if (iova + size - 1n > U64_MAX || vaddr + size - 1n > U64_MAX) {
      throw new KernelError('EINVAL', 'MAP_DMA iova or vaddr range wraps');
    }
    if (iova + size > BigInt(MODEL_LIMIT) || vaddr + size > BigInt(MODEL_LIMIT)) {
      throw new KernelError('EINVAL', 'MAP_DMA beyond the addresses the model represents');
    }
    const at = Number(iova);
    const len = Number(size);
    const dma = this.findDma(at, len);
    if (setVaddr) {
      if (dma === undefined) throw new KernelError('ENOENT', `no mapping at 0x${at.toString(16)}`);
      if (!dma.vaddrInvalid || dma.iova !== at || dma.size !== len) {
        throw new KernelError('EINVAL', 'MAP_DMA VADDR: not an invalidated mapping of exactly this range');
      }
      dma.vaddr = Number(vaddr);
      dma.vaddrInvalid = false;
      return;
    }
    if (dma !== undefined) {
      throw new KernelError('EEXIST', `MAP_DMA [0x${at.toString(16)}, +0x${len.toString(16)}) overlaps`);
    }
    if (this.dmaAvail === 0) throw new KernelError('ENOSPC', 'dma_entry_limit reached');
    const ranges = this.iovaRanges();
    if (
      this.groups.some((g) => !g.pinnedPageDirtyScope) &&
      !ranges.some((r) => at >= r.start && at + len - 1 <= r.last)
    ) {
      throw new KernelError(
        'EINVAL',
        `MAP_DMA [0x${at.toString(16)}, +0x${len.toString(16)}) outside the IOVA ranges`,
      );
    }
    const d: VfioDma = {
      iova: at,
      size: len,
      vaddr: Number(vaddr),
      mm,
      memory: null,
      offset: 0,
      read: (flags & VFIO_DMA_MAP_FLAG_READ) !== 0,
      write: (flags & VFIO_DMA_MAP_FLAG_WRITE) !== 0,
      bitmap: null,
      pinned: new Map(),
      vaddrInvalid: false,
    };
    // vfio_pin_map_dma: with an IOMMU domain every page is pinned and mapped now.
    if (this.groups.some((g) => !g.pinnedPageDirtyScope)) this.pin(d);
    if (this.tracking) {
      if (len / this.pgsize > DIRTY_BITMAP_PAGES_MAX)
        throw new KernelError('EINVAL', 'mapping too large to track');
      d.bitmap = newDirtyBitmap(len / this.pgsize);
    }
    const next = this.dmas.findIndex((x) => x.iova > at);
    if (next < 0) this.dmas.push(d);
    else this.dmas.splice(next, 0, d);
  }

  /**
   * `vfio_dma_do_unmap`: VADDR with emulated groups → EBUSY; iova not a multiple of the IOMMU page →
   * EINVAL; ALL with a non-zero iova or size → EINVAL; otherwise size 0, not a multiple of the page, or
   * wrapping → EINVAL; GET_DIRTY_BITMAP while dirty tracking is not started, or with a bitmap page size
   * other than the IOMMU page → EINVAL; v2: a range that bisects a mapping → EINVAL (all of these
   * before anything is unmapped or written). Then each mapping in the range: v1 stops at one starting
   * before `iova` (size 0 unmapped); VADDR invalidates (one already invalid → the ones done so far are
   * restored, EINVAL); pinned pages are first handed to the devices' `dma_unmap`; GET_DIRTY_BITMAP
   * copies its bits out (EFAULT stops the loop: the mappings before it stay unmapped).
   */
  private doUnmap(
    mm: UserMemory,
    flags: number,
    iova: bigint,
    size: bigint,
    bitmap: Bitmap64 | undefined,
  ): number {
    const all = (flags & VFIO_DMA_UNMAP_FLAG_ALL) !== 0;
    const invalidateVaddr = (flags & VFIO_DMA_UNMAP_FLAG_VADDR) !== 0;
    const getDirty = (flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP) !== 0;
    if (invalidateVaddr && this.hasEmulated()) {
      throw new KernelError('EBUSY', 'cannot update vaddr while emulated (mdev) groups are present');
    }
    const pgsize = this.pgsize;
    const pgmask = BigInt(pgsize - 1);
    if ((iova & pgmask) !== 0n) throw new KernelError('EINVAL', `UNMAP_DMA iova not a multiple of ${pgsize}`);
    let end: bigint;
    if (all) {
      if (iova !== 0n || size !== 0n) throw new KernelError('EINVAL', 'UNMAP_DMA ALL needs iova = size = 0');
      end = U64_MAX + 1n;
    } else {
      if (size === 0n || (size & pgmask) !== 0n || iova + size - 1n > U64_MAX) {
        throw new KernelError('EINVAL', `UNMAP_DMA size 0, not a multiple of ${pgsize}, or wrapping`);
      }
      end = iova + size;
    }
    // "When dirty tracking is enabled, allow only min supported pgsize".
    if (getDirty && (!this.tracking || bitmap!.pgsize !== BigInt(pgsize))) {
      throw new KernelError(
        'EINVAL',
        this.tracking
          ? `bitmap pgsize ${bitmap!.pgsize} is not the IOMMU page ${pgsize}`
          : 'dirty page tracking not started',
      );
    }
    if (this.v2 && !all) this.checkNotBisected(iova, end, 'UNMAP_DMA');
    const from = iova >= BigInt(MODEL_LIMIT) ? MODEL_LIMIT : Number(iova);
    const to = end >= BigInt(MODEL_LIMIT) ? MODEL_LIMIT : Number(end);
    let unmapped = 0;
    const invalidated: VfioDma[] = [];
    for (const d of [...this.dmas]) {
      if (d.iova + d.size <= from) continue;
      if (d.iova >= to) break;
      if (!this.v2 && from > d.iova) break;
      if (invalidateVaddr) {
        if (d.vaddrInvalid) {
          for (const x of invalidated) x.vaddrInvalid = false;
          throw new KernelError('EINVAL', `mapping at 0x${d.iova.toString(16)} is already invalidated`);
        }
        d.vaddrInvalid = true;
        invalidated.push(d);
        unmapped += d.size;
        continue;
      }
      if (d.pinned.size > 0) {
        // vfio_notify_dma_unmap: the devices must unpin (the kernel retries, then BUGs).
        for (const g of this.groups) g.dmaUnmap?.(d.iova, d.size);
        d.pinned.clear();
      }
      if (getDirty) this.updateUserBitmap(mm, d, from, bitmap!.data);
      unmapped += d.size;
      this.dmas.splice(this.dmas.indexOf(d), 1);
    }
    return unmapped;
  }

  /**
   * The GET_BITMAP checks: iova + size wraps → EINVAL; the bitmap outside user space (`access_ok`) →
   * EINVAL; `verify_bitmap_size` → EINVAL; bitmap page size not the IOMMU page, iova or size not
   * multiples of it, size 0 → EINVAL; tracking not started → EINVAL; then `vfio_iova_dirty_bitmap`:
   * a range bisecting a mapping → EINVAL, a bitmap that faults → EFAULT.
   */
  private getBitmap(mm: UserMemory, iova: bigint, size: bigint, bm: Bitmap64): void {
    if (iova + size > U64_MAX) throw new KernelError('EINVAL', 'GET_BITMAP iova + size wraps');
    checkUserBitmap(size, bm);
    const pgsize = BigInt(this.pgsize);
    if (bm.pgsize !== pgsize)
      throw new KernelError('EINVAL', `bitmap pgsize ${bm.pgsize} is not the IOMMU page ${pgsize}`);
    if (iova % pgsize !== 0n)
      throw new KernelError('EINVAL', 'GET_BITMAP iova not a multiple of the IOMMU page');
    if (size === 0n || size % pgsize !== 0n) {
      throw new KernelError('EINVAL', 'GET_BITMAP size 0 or not a multiple of the IOMMU page');
    }
    if (!this.tracking) throw new KernelError('EINVAL', 'dirty page tracking not started');
    this.checkNotBisected(iova, iova + size, 'GET_BITMAP');
    if (iova >= BigInt(MODEL_LIMIT)) return;
    const base = Number(iova);
    const end = Number(iova + size > BigInt(MODEL_LIMIT) ? BigInt(MODEL_LIMIT) : iova + size);
    for (const d of this.dmas) {
      if (d.iova < base) continue;
      if (d.iova >= end) break;
      this.updateUserBitmap(mm, d, base, bm.data);
      // Re-populate: pinned pages stay dirty, vfio_dma_rw writes and unpinned pages are forgotten.
      d.bitmap!.fill(0);
      this.seedPinned(d);
    }
  }

  /** `[from, end)` must not start or end inside a mapping. @throws KernelError EINVAL */
  private checkNotBisected(from: bigint, end: bigint, op: string): void {
    for (const d of this.dmas) {
      const s = BigInt(d.iova);
      const e = BigInt(d.iova + d.size);
      if ((s < from && from < e) || (s < end && end < e)) {
        throw new KernelError('EINVAL', `${op} bisects the mapping at 0x${d.iova.toString(16)}`);
      }
    }
  }

  /**
   * `update_user_bitmap`: write the mapping's bits at its offset from `base` as whole u64 words —
   * overwriting, except that a leading partial word is OR-ed with what the user had there. With any
   * group outside pinned-page scope every page of the mapping is set first (in its own bitmap too).
   * @throws KernelError EFAULT when the user bitmap is not mapped.
   */
  private updateUserBitmap(mm: UserMemory, d: VfioDma, base: number, data: bigint): void {
    const pgsize = this.pgsize;
    const npages = d.size / pgsize;
    const src = d.bitmap!;
    if (this.groups.some((g) => !g.pinnedPageDirtyScope)) setBits(src, 0, npages);
    const shift = (d.iova - base) / pgsize;
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
    const at = Number(data) + firstWord * 8;
    if (bitOff !== 0) {
      const old = mm.copyFromUser(at, 8);
      for (let i = 0; i < 8; i++) out[i]! |= old[i]!;
    }
    mm.copyToUser(at, out);
  }

  /** The GET_INFO capability chain: migration, DMA available, and the IOVA ranges if any. */
  private infoCaps(): VfioInfoCap {
    const caps = new VfioInfoCap();
    caps.add(VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION, 1, migrationCap(this.pgsize, DIRTY_BITMAP_SIZE_MAX));
    caps.add(VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, 1, dmaAvailCap(this.dmaAvail));
    const ranges = this.iovaRanges();
    if (ranges.length > 0) caps.add(VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, 1, iovaRangeCap(ranges));
    return caps;
  }

  // ---- internals -------------------------------------------------------------------------------

  private checkV2(): void {
    if (!this.v2) throw new KernelError('EACCES', 'no dirty tracking on a type1 v1 container');
  }

  private hasEmulated(): boolean {
    return this.groups.some((g) => g.pinnedPageDirtyScope);
  }

  /** Pin the mapping's user memory (`vaddr_get_pfns`). @throws KernelError EFAULT */
  private pin(d: VfioDma): { memory: GuestMemory; offset: number } {
    if (d.memory === null) {
      const r = d.mm.resolve(d.vaddr, d.size);
      d.memory = r.memory;
      d.offset = r.offset;
    }
    return { memory: d.memory, offset: d.offset };
  }

  private seedPinned(d: VfioDma): void {
    if (d.bitmap === null) return;
    const shift = Math.log2(this.pgsize);
    for (const page of d.pinned.keys()) setBits(d.bitmap, Math.floor((page * PAGE_SIZE) / 2 ** shift), 1);
  }

  /** `vfio_find_dma`: the mapping overlapping `[iova, iova + size)`. */
  private findDma(iova: number, size: number): VfioDma | undefined {
    return this.dmas.find((d) => d.iova < iova + size && iova < d.iova + d.size);
  }
}

/**
 * The checks on a `struct vfio_bitmap` before any lock is taken: `access_ok(data, size)` → EINVAL, and
 * `verify_bitmap_size(range_size >> __ffs(pgsize), size)`: no pages, size 0, more than
 * DIRTY_BITMAP_SIZE_MAX or fewer bytes than the pages need → EINVAL. (`__ffs(0)` is undefined in C; the
 * model fails a zero `pgsize` here, where any later check would fail it too.)
 */
function checkUserBitmap(rangeSize: bigint, b: Bitmap64): void {
  if (!accessOk(b.data, b.size)) throw new KernelError('EINVAL', 'bitmap is not in user space (access_ok)');
  if (b.pgsize === 0n) throw new KernelError('EINVAL', 'bitmap pgsize 0');
  const npages = rangeSize / (b.pgsize & -b.pgsize);
  const needed = ((npages + 63n) / 64n) * 8n;
  if (npages === 0n || b.size === 0n || b.size > BigInt(DIRTY_BITMAP_SIZE_MAX) || b.size < needed) {
    throw new KernelError('EINVAL', `bitmap of ${b.size} bytes for ${npages} pages (verify_bitmap_size)`);
  }
}

function toBitmap64(b: VfioBitmapArg): Bitmap64 {
  return { pgsize: BigInt(b.pgsize), size: BigInt(b.size), data: BigInt(b.data) };
}

/** One bit per page plus 64 spare bits, as the kernel allocates. */
function newDirtyBitmap(npages: number): Uint8Array {
  return new Uint8Array(Math.ceil((npages + 64) / 64) * 8);
}

/** Set bits `[first, first + n)`. */
function setBits(b: Uint8Array, first: number, n: number): void {
  for (let p = first; p < first + n; p++) b[p >> 3]! |= 1 << (p & 7);
}
