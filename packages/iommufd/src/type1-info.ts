import type { UserMemory } from '@vfio-sim/platform';
import { KernelError } from '@vfio-sim/platform';
import type { IovaRange } from './iommu-domain.js';
import { copyMinFromUser } from './user-struct.js';
import type { VfioInfoCap } from './vfio-info-cap.js';
import {
  VFIO_IOMMU_INFO_CAPS,
  VFIO_IOMMU_INFO_PGSIZES,
  VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE,
  VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION,
  VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL,
  vfio_iommu_type1_info,
  vfio_iommu_type1_info_cap_iova_range,
  vfio_iommu_type1_info_cap_migration,
  vfio_iommu_type1_info_dma_avail,
  vfio_iova_range,
} from './vfio-type1-uapi.js';

/** `minsz` of VFIO_IOMMU_GET_INFO: `offsetofend(struct vfio_iommu_type1_info, iova_pgsizes)`. */
export const VFIO_IOMMU_GET_INFO_MINSZ = vfio_iommu_type1_info.offsetOfEnd('iova_pgsizes');

/**
 * The bytes of a VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE capability (version 1) listing `ranges`
 * (inclusive ends). The header's id, version and `next` are the chain's to fill.
 *
 * Kernel counterpart: `vfio_iommu_iova_add_cap` (type1), `iommufd_fill_cap_iova` (vfio_compat.c).
 */
export function iovaRangeCap(ranges: readonly IovaRange[]): Uint8Array {
  const head = vfio_iommu_type1_info_cap_iova_range;
  const out = new Uint8Array(head.size + ranges.length * vfio_iova_range.size);
  head.encode(
    { id: VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, version: 1, next: 0, nr_iovas: ranges.length, reserved: 0 },
    out,
    0,
  );
  ranges.forEach((r, i) => {
    vfio_iova_range.encode(
      { start: BigInt(r.start), end: BigInt(r.last) },
      out,
      head.size + i * vfio_iova_range.size,
    );
  });
  return out;
}

/**
 * The bytes of a VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION capability (version 1): the one dirty-bitmap page
 * size type1 supports (its smallest IOMMU page) and the largest bitmap one request may pass.
 *
 * Kernel counterpart: `vfio_iommu_migration_build_caps` (drivers/vfio/vfio_iommu_type1.c).
 */
export function migrationCap(pgsize: number, maxDirtyBitmapSize: number): Uint8Array {
  return vfio_iommu_type1_info_cap_migration.encode({
    id: VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION,
    version: 1,
    next: 0,
    flags: 0,
    pgsize_bitmap: BigInt(pgsize),
    max_dirty_bitmap_size: BigInt(maxDirtyBitmapSize),
  });
}

/**
 * The bytes of a VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL capability (version 1): how many more MAP_DMA calls
 * may succeed.
 *
 * Kernel counterpart: `vfio_iommu_dma_avail_build_caps` (type1), `iommufd_fill_cap_dma_avail`.
 */
export function dmaAvailCap(avail: number): Uint8Array {
  return vfio_iommu_type1_info_dma_avail.encode({
    id: VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL,
    version: 1,
    next: 0,
    avail: avail >>> 0,
  });
}

/**
 * VFIO_IOMMU_GET_INFO as type1 answers it: `argsz` below 16 → EINVAL; otherwise `flags` = PGSIZES
 * (| CAPS when there is a chain), `iova_pgsizes`; the chain is copied after the 24-byte struct only
 * when `argsz` covers all of it (then `cap_offset` = 24), else `argsz` is raised to the size needed and
 * nothing of the chain is written. The struct is copied back only as far as the caller's `argsz`
 * reaches (16 bytes for a caller from before the chain existed).
 *
 * Kernel counterpart: `vfio_iommu_type1_get_info` (drivers/vfio/vfio_iommu_type1.c, newest: `minsz =
 * min(argsz, sizeof(info))`).
 * @throws KernelError EINVAL (argsz), EFAULT (user memory).
 */
export function type1GetInfo(mm: UserMemory, arg: number, iovaPgsizes: bigint, caps: VfioInfoCap): number {
  const minsz = VFIO_IOMMU_GET_INFO_MINSZ;
  const info = copyMinFromUser(mm, vfio_iommu_type1_info, arg, minsz);
  if (info.argsz < minsz) throw new KernelError('EINVAL', `GET_INFO argsz ${info.argsz} < ${minsz}`);
  const copyBack = Math.min(info.argsz, vfio_iommu_type1_info.size);
  info.flags = VFIO_IOMMU_INFO_PGSIZES;
  info.iova_pgsizes = iovaPgsizes;
  if (caps.size > 0) {
    info.flags |= VFIO_IOMMU_INFO_CAPS;
    const need = vfio_iommu_type1_info.size + caps.size;
    if (info.argsz < need) info.argsz = need;
    else {
      mm.copyToUser(arg + vfio_iommu_type1_info.size, caps.bytes(vfio_iommu_type1_info.size));
      info.cap_offset = vfio_iommu_type1_info.size;
    }
  }
  mm.copyToUser(arg, vfio_iommu_type1_info.encode(info).subarray(0, copyBack));
  return 0;
}
