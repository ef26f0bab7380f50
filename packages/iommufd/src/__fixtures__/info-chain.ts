import type { UserMemory } from '@vfio-sim/platform';
import { vfio_info_cap_header } from '../vfio-info-cap.js';
import {
  VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE,
  VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION,
  VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL,
  vfio_iommu_type1_info,
  vfio_iommu_type1_info_cap_iova_range,
  vfio_iommu_type1_info_cap_migration,
  vfio_iommu_type1_info_dma_avail,
  vfio_iova_range,
} from '../vfio-type1-uapi.js';

/** One decoded GET_INFO capability, with where it sits in the buffer. */
export type Type1InfoCap =
  | { id: 1; at: number; version: number; ranges: Array<{ start: bigint; end: bigint }> }
  | { id: 2; at: number; version: number; flags: number; pgsizeBitmap: bigint; maxDirtyBitmapSize: bigint }
  | { id: 3; at: number; version: number; avail: number };

/**
 * A `struct vfio_iommu_type1_info` buffer of `argsz` bytes filled with `fill`, at a fresh address: what
 * a VMM passes to VFIO_IOMMU_GET_INFO.
 */
export function infoBuffer(mm: UserMemory, argsz: number, room = 256, fill = 0xaa): number {
  const at = mm.alloc(room, 8);
  mm.copyToUser(at, new Uint8Array(room).fill(fill));
  mm.writeU32(at, argsz);
  return at;
}

/**
 * Decode the answer the way QEMU's `vfio_get_iommu_info` / `vfio_get_info_iova_range` walk it: the
 * fixed part, then (when `cap_offset` is set) the chain by `next`, every offset from the buffer start.
 * Throws when the chain is corrupt (a `next` pointing backwards, past `argsz`, or unaligned).
 */
export function decodeType1Info(mm: UserMemory, at: number) {
  const info = mm.readStruct(vfio_iommu_type1_info, at);
  const caps: Type1InfoCap[] = [];
  let off = info.cap_offset;
  while (off !== 0) {
    if (off % 8 !== 0 || off + vfio_info_cap_header.size > info.argsz)
      throw new Error(`bad cap offset ${off}`);
    const h = mm.readStruct(vfio_info_cap_header, at + off);
    if (h.id === VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
      const c = mm.readStruct(vfio_iommu_type1_info_cap_iova_range, at + off);
      const ranges = Array.from({ length: c.nr_iovas }, (_, i) =>
        mm.readStruct(
          vfio_iova_range,
          at + off + vfio_iommu_type1_info_cap_iova_range.size + i * vfio_iova_range.size,
        ),
      );
      caps.push({ id: 1, at: off, version: h.version, ranges });
    } else if (h.id === VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION) {
      const c = mm.readStruct(vfio_iommu_type1_info_cap_migration, at + off);
      caps.push({
        id: 2,
        at: off,
        version: h.version,
        flags: c.flags,
        pgsizeBitmap: c.pgsize_bitmap,
        maxDirtyBitmapSize: c.max_dirty_bitmap_size,
      });
    } else if (h.id === VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL) {
      const c = mm.readStruct(vfio_iommu_type1_info_dma_avail, at + off);
      caps.push({ id: 3, at: off, version: h.version, avail: c.avail });
    } else throw new Error(`unknown capability ${h.id}`);
    if (h.next !== 0 && h.next <= off) throw new Error(`capability at ${off} points back to ${h.next}`);
    off = h.next;
  }
  return { ...info, caps };
}
