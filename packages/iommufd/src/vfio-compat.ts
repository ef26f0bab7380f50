import { KernelError, PAGE_SIZE, type UserMemory } from '@vfio-sim/platform';
import type { Ioas } from './io-pagetable.js';
import type { IovaRange } from './iommu-domain.js';
import type { IommufdCtx } from './iommufd-ctx.js';
import { dmaAvailCap, iovaRangeCap, VFIO_IOMMU_GET_INFO_MINSZ } from './type1-info.js';
import { copyMinFromUser } from './user-struct.js';
import { vfio_info_cap_header } from './vfio-info-cap.js';
import {
  __VFIO_RESERVED_TYPE1_NESTING_IOMMU,
  VFIO_API_VERSION,
  VFIO_CHECK_EXTENSION,
  VFIO_DMA_CC_IOMMU,
  VFIO_DMA_MAP_FLAG_READ,
  VFIO_DMA_MAP_FLAG_WRITE,
  VFIO_DMA_UNMAP_FLAG_ALL,
  VFIO_GET_API_VERSION,
  VFIO_IOMMU_GET_INFO,
  VFIO_IOMMU_INFO_CAPS,
  VFIO_IOMMU_INFO_PGSIZES,
  VFIO_IOMMU_MAP_DMA,
  VFIO_IOMMU_UNMAP_DMA,
  VFIO_SET_IOMMU,
  VFIO_TYPE1_IOMMU,
  VFIO_TYPE1v2_IOMMU,
  VFIO_UNMAP_ALL,
  vfio_iommu_type1_dma_map,
  vfio_iommu_type1_dma_unmap,
  vfio_iommu_type1_info,
  vfio_iommu_type1_info_cap_iova_range,
  vfio_iova_range,
} from './vfio-type1-uapi.js';

const U64_MAX = (1n << 64n) - 1n;
/** Bytes of the model's IOVA space (a larger u64 maps nothing). */
const MODEL_IOVA_LIMIT = 2n ** 53n;
/** `PAGE_MASK` as a u64. */
const PAGE_MASK = U64_MAX - BigInt(PAGE_SIZE - 1);

/**
 * The VFIO container served by iommufd: `/dev/vfio/vfio` opened as an iommufd (CONFIG_IOMMUFD_VFIO_CONTAINER)
 * or any iommufd fd, receiving the legacy container ioctls, which operate on the compatibility IOAS
 * ({@link IommufdCtx.compatIoas}). Differences from type1 that follow from the code:
 * - VFIO_IOMMU_DIRTY_PAGES is not implemented: -ENOIOCTLCMD, which reaches userspace as ENOTTY;
 *   UNMAP_DMA accepts only VFIO_DMA_UNMAP_FLAG_ALL, so GET_DIRTY_BITMAP (and VADDR) → EINVAL — the
 *   dirty-tracking direction is IOMMU_HWPT_SET_DIRTY_TRACKING / GET_DIRTY_BITMAP and device DMA logging.
 * - GET_INFO has no migration capability; DMA_AVAIL reports U32_MAX (no per-container mapping limit);
 *   IOVA ranges are the holes between reserved regions; the capability chain is written as far as
 *   `argsz` reaches, and `argsz` is always set to the full size.
 * - VFIO_TYPE1_IOMMU (v1) is emulated by disabling large pages, so an unmap may cut a mapping exactly;
 *   TYPE1v2 refuses a cut with ENOENT (type1: EINVAL); unmapping nothing succeeds with size 0.
 * - Everything needs the compatibility IOAS: without one → ENODEV.
 *
 * Kernel counterpart: `iommufd_vfio_ioctl` (drivers/iommu/iommufd/vfio_compat.c, newest).
 * @throws KernelError per ioctl; ENOTTY for numbers it does not know.
 */
export function iommufdVfioIoctl(ctx: IommufdCtx, mm: UserMemory, cmd: number, arg: number): number {
  switch (cmd) {
    case VFIO_GET_API_VERSION:
      return VFIO_API_VERSION;
    case VFIO_SET_IOMMU:
      return compatSetIommu(ctx, arg);
    case VFIO_CHECK_EXTENSION:
      return compatCheckExtension(ctx, arg);
    case VFIO_IOMMU_GET_INFO:
      return compatGetInfo(ctx, mm, arg);
    case VFIO_IOMMU_MAP_DMA:
      return compatMapDma(ctx, mm, arg);
    case VFIO_IOMMU_UNMAP_DMA:
      return compatUnmapDma(ctx, mm, arg);
    default:
      // VFIO_IOMMU_DIRTY_PAGES included: -ENOIOCTLCMD, turned into ENOTTY by the VFS.
      throw new KernelError('ENOTTY', `iommufd VFIO compat: ioctl 0x${cmd.toString(16)} not implemented`);
  }
}

/**
 * `iommufd_vfio_check_extension`: TYPE1, TYPE1v2 and UNMAP_ALL → 1; DMA_CC_IOMMU → whether every HWPT
 * of the compatibility IOAS enforces cache coherency (all the model's do; ENODEV without an IOAS);
 * the removed nesting type, NOIOMMU (CONFIG_VFIO_NOIOMMU off), UPDATE_VADDR and anything else → 0.
 */
function compatCheckExtension(ctx: IommufdCtx, type: number): number {
  switch (type) {
    case VFIO_TYPE1_IOMMU:
    case VFIO_TYPE1v2_IOMMU:
    case VFIO_UNMAP_ALL:
      return 1;
    case VFIO_DMA_CC_IOMMU:
      ctx.compatIoas();
      return 1;
    case __VFIO_RESERVED_TYPE1_NESTING_IOMMU:
      return 0;
    default:
      return 0;
  }
}

/**
 * `iommufd_vfio_set_iommu`: only TYPE1 and TYPE1v2 (else EINVAL); needs the compatibility IOAS
 * (ENODEV: "VFIO fails the set_iommu if there is no group"); TYPE1 disables large pages so unmaps can
 * cut mappings anywhere (EINVAL if domains already hold mappings).
 */
function compatSetIommu(ctx: IommufdCtx, type: number): number {
  if (type !== VFIO_TYPE1_IOMMU && type !== VFIO_TYPE1v2_IOMMU) {
    throw new KernelError('EINVAL', `VFIO_SET_IOMMU ${type}: only TYPE1 / TYPE1v2`);
  }
  const ioas = ctx.compatIoas();
  if (type === VFIO_TYPE1_IOMMU) ioas.disableLargePages();
  return 0;
}

/**
 * `iommufd_get_pagesizes`: the page sizes every domain of the IOAS supports (all of u64 without one),
 * sub-page sizes replaced by PAGE_SIZE (as type1's `vfio_update_pgsize_bitmap`), then at least the IOVA
 * alignment (a plain `max` of the two numbers, as the kernel does).
 */
export function compatPagesizes(ioas: Ioas): bigint {
  let bitmap = U64_MAX;
  for (const d of ioas.domains) bitmap &= BigInt(d.pgsizeBitmap);
  if ((bitmap & BigInt(PAGE_SIZE - 1)) !== 0n) bitmap = (bitmap & PAGE_MASK) | BigInt(PAGE_SIZE);
  const align = BigInt(ioas.iovaAlignment);
  return bitmap > align ? bitmap : align;
}

/**
 * `iommufd_vfio_iommu_get_info`: `argsz` below 16 → EINVAL; `flags` = PGSIZES | CAPS always. The two
 * capabilities (DMA_AVAIL, then IOVA_RANGE, each padded to 8 bytes) are written directly into the user
 * buffer, each only as far as `argsz` leaves room (an IOVA range entry only when it fits whole, the
 * capability's header only when all its entries fit); a capability's `next` is set only when the
 * previous one fit. `cap_offset` = 24 only when the whole chain fits, and `argsz` is always set to the
 * size of the whole chain.
 */
function compatGetInfo(ctx: IommufdCtx, mm: UserMemory, arg: number): number {
  const minsz = VFIO_IOMMU_GET_INFO_MINSZ;
  const info = copyMinFromUser(mm, vfio_iommu_type1_info, arg, minsz);
  if (info.argsz < minsz) throw new KernelError('EINVAL', `GET_INFO argsz ${info.argsz} < ${minsz}`);
  const copyBack = Math.min(info.argsz, vfio_iommu_type1_info.size);
  const ioas = ctx.compatIoas();
  info.flags = VFIO_IOMMU_INFO_PGSIZES;
  info.iova_pgsizes = compatPagesizes(ioas);
  info.cap_offset = 0;
  const ranges = ioas.iovaRanges();
  const fillFns: FillCap[] = [fillCapDmaAvail, (m, at, avail) => fillCapIova(m, at, avail, ranges)];
  let total = vfio_iommu_type1_info.size;
  let lastCap = -1;
  for (const fill of fillFns) {
    const capSize = (fill(mm, arg + total, Math.max(0, info.argsz - total)) + 7) & ~7;
    if (lastCap >= 0 && info.argsz >= total) {
      mm.writeU32(lastCap + vfio_info_cap_header.offsetOf('next'), total);
    }
    lastCap = arg + total;
    total += capSize;
  }
  // If the user did not provide enough space only some caps are returned, and argsz says how much.
  if (info.argsz >= total) info.cap_offset = vfio_iommu_type1_info.size;
  info.argsz = total;
  info.flags |= VFIO_IOMMU_INFO_CAPS;
  mm.copyToUser(arg, vfio_iommu_type1_info.encode(info).subarray(0, copyBack));
  return 0;
}

/** An `iommufd_fill_cap_*`: write the capability at `at` as far as `avail` bytes allow; returns its size. */
type FillCap = (mm: UserMemory, at: number, avail: number) => number;

/** `iommufd_fill_cap_dma_avail`: U32_MAX (iommufd's limit is the memory cgroup's, not a count). */
function fillCapDmaAvail(mm: UserMemory, at: number, avail: number): number {
  const cap = dmaAvailCap(0xffffffff);
  if (avail >= cap.length) mm.copyToUser(at, cap);
  return cap.length;
}

/**
 * `iommufd_fill_cap_iova`: the holes between the IOAS's reserved ranges; each `struct vfio_iova_range`
 * is written when it fits whole, the 16-byte head (with `nr_iovas`) when every entry fits.
 */
function fillCapIova(mm: UserMemory, at: number, avail: number, ranges: readonly IovaRange[]): number {
  const cap = iovaRangeCap(ranges);
  const head = vfio_iommu_type1_info_cap_iova_range.size;
  for (let e = head; e < cap.length; e += vfio_iova_range.size) {
    if (avail >= e + vfio_iova_range.size) mm.copyToUser(at + e, cap.subarray(e, e + vfio_iova_range.size));
  }
  if (avail >= cap.length) mm.copyToUser(at, cap.subarray(0, head));
  return cap.length;
}

/**
 * `iommufd_vfio_map_dma`: `argsz` below 32 or flags other than READ | WRITE (VADDR included) → EINVAL;
 * no compatibility IOAS → ENODEV; then a fixed-IOVA map of the IOAS (`iopt_map_user_pages`): EINVAL for
 * a length or IOVA the IOAS alignment refuses or an IOVA outside the allowed/aperture ranges, EEXIST for
 * an overlap, EFAULT for user memory that is not there.
 */
function compatMapDma(ctx: IommufdCtx, mm: UserMemory, arg: number): number {
  const minsz = vfio_iommu_type1_dma_map.offsetOfEnd('size');
  const map = copyMinFromUser(mm, vfio_iommu_type1_dma_map, arg, minsz);
  const supported = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
  if (map.argsz < minsz || (map.flags & ~supported) !== 0) {
    throw new KernelError('EINVAL', `MAP_DMA argsz ${map.argsz} / flags 0x${map.flags.toString(16)}`);
  }
  const ioas = ctx.compatIoas();
  if (map.size === 0n) throw new KernelError('EINVAL', 'MAP_DMA size 0');
  if (map.iova + map.size - 1n > U64_MAX) throw new KernelError('EOVERFLOW', 'MAP_DMA iova + size wraps');
  if (map.iova + map.size > MODEL_IOVA_LIMIT) {
    throw new KernelError('EINVAL', 'MAP_DMA beyond the IOVA the model represents');
  }
  const iova = Number(map.iova);
  const size = Number(map.size);
  const align = ioas.iovaAlignment;
  if (iova % align !== 0 || size % align !== 0) {
    throw new KernelError('EINVAL', `MAP_DMA iova/size not aligned to the IOAS alignment ${align}`);
  }
  const pinned = mm.resolve(Number(map.vaddr), size);
  ioas.map(pinned.memory, pinned.offset, size, iova, {
    read: (map.flags & VFIO_DMA_MAP_FLAG_READ) !== 0,
    write: (map.flags & VFIO_DMA_MAP_FLAG_WRITE) !== 0,
  });
  return 0;
}

/**
 * `iommufd_vfio_unmap_dma`: `argsz` below 24 or any flag but ALL → EINVAL (GET_DIRTY_BITMAP is
 * "obsoleted by the new dirty tracking direction"); no compatibility IOAS → ENODEV; ALL with a non-zero
 * iova or size → EINVAL; with large pages disabled (TYPE1) the range's ends are cut first; then
 * `iopt_unmap_iova` (size 0 → EINVAL, wrap → EOVERFLOW, a mapping the range cuts → ENOENT). The bytes
 * unmapped are copied back to `size` even when the unmap failed (then 0), unlike type1.
 */
function compatUnmapDma(ctx: IommufdCtx, mm: UserMemory, arg: number): number {
  const minsz = vfio_iommu_type1_dma_unmap.offsetOfEnd('size');
  const unmap = copyMinFromUser(mm, vfio_iommu_type1_dma_unmap, arg, minsz);
  if (unmap.argsz < minsz || (unmap.flags & ~VFIO_DMA_UNMAP_FLAG_ALL) !== 0) {
    throw new KernelError('EINVAL', `UNMAP_DMA argsz ${unmap.argsz} / flags 0x${unmap.flags.toString(16)}`);
  }
  const ioas = ctx.compatIoas();
  let unmapped = 0;
  let error: unknown;
  if ((unmap.flags & VFIO_DMA_UNMAP_FLAG_ALL) !== 0) {
    if (unmap.iova !== 0n || unmap.size !== 0n) {
      throw new KernelError('EINVAL', 'UNMAP_DMA ALL needs iova = size = 0');
    }
    unmapped = ioas.unmapAll();
  } else {
    if (!ioas.hugePages && unmap.size !== 0n && unmap.iova + unmap.size - 1n <= U64_MAX) {
      const lasts = [unmap.iova + unmap.size - 1n];
      if (unmap.iova !== 0n) lasts.push(unmap.iova - 1n);
      ioas.cutIova(lasts.filter((v) => v < MODEL_IOVA_LIMIT).map(Number));
    }
    try {
      unmapped = iommufdUnmapIova(ioas, unmap.iova, unmap.size);
    } catch (e) {
      error = e;
    }
  }
  unmap.size = BigInt(unmapped);
  mm.copyToUser(arg, vfio_iommu_type1_dma_unmap.encode(unmap).subarray(0, minsz));
  if (error !== undefined) throw error;
  return 0;
}

/**
 * `iopt_unmap_iova`: length 0 → EINVAL, wrap → EOVERFLOW, then every mapping inside the range goes (a
 * range that cuts one → ENOENT, nothing unmapped). Returns bytes unmapped (0 when nothing was there).
 */
function iommufdUnmapIova(ioas: Ioas, iova: bigint, length: bigint): number {
  if (length === 0n) throw new KernelError('EINVAL', 'unmap length 0');
  if (iova + length - 1n > U64_MAX) throw new KernelError('EOVERFLOW', 'unmap range wraps');
  if (iova >= MODEL_IOVA_LIMIT) return 0;
  const end = iova + length > MODEL_IOVA_LIMIT ? MODEL_IOVA_LIMIT : iova + length;
  return ioas.unmap(Number(iova), Number(end - iova));
}
