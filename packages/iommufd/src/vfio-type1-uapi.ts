import { defineStruct } from '@vfio-sim/platform';

/**
 * The legacy VFIO container's user API: container ioctls, IOMMU types/extensions, the type1 structs and
 * the VFIO_IOMMU_GET_INFO capability chain — byte-exact to the C header. Every number is
 * `_IO(VFIO_TYPE ';', VFIO_BASE 100 + nr)`; every struct starts with `__u32 argsz`.
 *
 * Kernel counterpart: include/uapi/linux/vfio.h (container, type1 and "IOMMU info" sections).
 */

/** `VFIO_API_VERSION`: what VFIO_GET_API_VERSION returns. */
export const VFIO_API_VERSION = 0;

/** Container ioctls (nr 100, 101, 102, 112–114, 117). */
export const VFIO_GET_API_VERSION = 0x3b64;
/** `VFIO_CHECK_EXTENSION` (include/uapi/linux/vfio.h): container ioctl 0x3b65, whether an IOMMU type or extension is supported (1) or not (0). */
export const VFIO_CHECK_EXTENSION = 0x3b65;
/** `VFIO_SET_IOMMU` (include/uapi/linux/vfio.h): container ioctl 0x3b66, choose the container's IOMMU driver (a `VFIO_*_IOMMU` type). */
export const VFIO_SET_IOMMU = 0x3b66;
/** `VFIO_IOMMU_GET_INFO` (include/uapi/linux/vfio.h): container ioctl 0x3b70, `struct vfio_iommu_type1_info` with its capability chain. */
export const VFIO_IOMMU_GET_INFO = 0x3b70;
/** `VFIO_IOMMU_MAP_DMA` (include/uapi/linux/vfio.h): container ioctl 0x3b71, map user memory at an IOVA (`struct vfio_iommu_type1_dma_map`). */
export const VFIO_IOMMU_MAP_DMA = 0x3b71;
/** `VFIO_IOMMU_UNMAP_DMA` (include/uapi/linux/vfio.h): container ioctl 0x3b72, unmap an IOVA range, optionally returning its dirty bitmap. */
export const VFIO_IOMMU_UNMAP_DMA = 0x3b72;
/** `VFIO_IOMMU_DIRTY_PAGES` (include/uapi/linux/vfio.h): container ioctl 0x3b75, start or stop dirty page tracking, or get the bitmap of a range. */
export const VFIO_IOMMU_DIRTY_PAGES = 0x3b75;

/** IOMMU types and extensions (the `arg` of VFIO_CHECK_EXTENSION; the first ones also of VFIO_SET_IOMMU). */
export const VFIO_TYPE1_IOMMU = 1;
/** `VFIO_SPAPR_TCE_IOMMU` (include/uapi/linux/vfio.h): IOMMU type 2, POWER's TCE tables (never supported by the model's containers). */
export const VFIO_SPAPR_TCE_IOMMU = 2;
/** `VFIO_TYPE1v2_IOMMU` (include/uapi/linux/vfio.h): IOMMU type 3, type1 with v2 semantics (no partial unmap of a mapping). */
export const VFIO_TYPE1v2_IOMMU = 3;
/** The IOMMU enforces DMA cache coherence (no-snoop is blocked). */
export const VFIO_DMA_CC_IOMMU = 4;
/** `VFIO_EEH` (include/uapi/linux/vfio.h): extension 5, POWER's EEH error recovery (never supported here). */
export const VFIO_EEH = 5;
/** Was VFIO_TYPE1_NESTING_IOMMU; removed (newest kernels answer 0 and refuse it). */
export const __VFIO_RESERVED_TYPE1_NESTING_IOMMU = 6;
/** `VFIO_SPAPR_TCE_v2_IOMMU` (include/uapi/linux/vfio.h): IOMMU type 7, POWER's TCE v2 (never supported here). */
export const VFIO_SPAPR_TCE_v2_IOMMU = 7;
/** `VFIO_NOIOMMU_IOMMU` (include/uapi/linux/vfio.h): IOMMU type 8, the unsafe no-IOMMU mode (never supported here). */
export const VFIO_NOIOMMU_IOMMU = 8;
/** UNMAP_DMA accepts VFIO_DMA_UNMAP_FLAG_ALL. */
export const VFIO_UNMAP_ALL = 9;
/** MAP_DMA / UNMAP_DMA accept the VADDR flags (live update of the process address). */
export const VFIO_UPDATE_VADDR = 10;

/** `VFIO_DMA_MAP_FLAG_READ` (include/uapi/linux/vfio.h): MAP_DMA flag bit 0, the device may read the mapping. */
export const VFIO_DMA_MAP_FLAG_READ = 1 << 0;
/** `VFIO_DMA_MAP_FLAG_WRITE` (include/uapi/linux/vfio.h): MAP_DMA flag bit 1, the device may write the mapping. */
export const VFIO_DMA_MAP_FLAG_WRITE = 1 << 1;
/** `VFIO_DMA_MAP_FLAG_VADDR` (include/uapi/linux/vfio.h): MAP_DMA flag bit 2, update the user address of an existing mapping (after UNMAP with VADDR). */
export const VFIO_DMA_MAP_FLAG_VADDR = 1 << 2;
/** `VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP` (include/uapi/linux/vfio.h): UNMAP_DMA flag bit 0, return the range's dirty bitmap (tracking must be started). */
export const VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP = 1 << 0;
/** `VFIO_DMA_UNMAP_FLAG_ALL` (include/uapi/linux/vfio.h): UNMAP_DMA flag bit 1, unmap every mapping (iova and size must be 0). */
export const VFIO_DMA_UNMAP_FLAG_ALL = 1 << 1;
/** `VFIO_DMA_UNMAP_FLAG_VADDR` (include/uapi/linux/vfio.h): UNMAP_DMA flag bit 2, invalidate the user address only (live update); the mapping stays. */
export const VFIO_DMA_UNMAP_FLAG_VADDR = 1 << 2;
/** `VFIO_IOMMU_DIRTY_PAGES_FLAG_START` (include/uapi/linux/vfio.h): DIRTY_PAGES flag bit 0, start tracking. */
export const VFIO_IOMMU_DIRTY_PAGES_FLAG_START = 1 << 0;
/** `VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP` (include/uapi/linux/vfio.h): DIRTY_PAGES flag bit 1, stop tracking. */
export const VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP = 1 << 1;
/** `VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP` (include/uapi/linux/vfio.h): DIRTY_PAGES flag bit 2, copy a range's dirty bitmap out (and clear it). */
export const VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP = 1 << 2;

/** `struct vfio_iommu_type1_dma_map` (minsz = offsetofend(size) = 32). */
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

/**
 * `struct vfio_iommu_type1_dma_unmap` (minsz = offsetofend(size) = 24; with GET_DIRTY_BITMAP a
 * `struct vfio_bitmap` follows in `data[]` at offset 24).
 */
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

/** `struct vfio_bitmap`: page size per bit, bytes, user pointer. */
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

/** `struct vfio_iommu_type1_dirty_bitmap_get` (its `struct vfio_bitmap` flattened). */
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

/** `vfio_iommu_type1_info.flags`. */
export const VFIO_IOMMU_INFO_PGSIZES = 1 << 0;
/** `VFIO_IOMMU_INFO_CAPS` (include/uapi/linux/vfio.h): GET_INFO flag bit 1, `cap_offset` points at a capability chain. */
export const VFIO_IOMMU_INFO_CAPS = 1 << 1;

/**
 * `struct vfio_iommu_type1_info` (24 bytes; minsz = offsetofend(iova_pgsizes) = 16: callers from before
 * the capability chain pass 16 and get no `cap_offset`).
 */
export const vfio_iommu_type1_info = defineStruct(
  'vfio_iommu_type1_info',
  [
    { name: 'argsz', type: 'u32' },
    { name: 'flags', type: 'u32' },
    { name: 'iova_pgsizes', type: 'u64' },
    { name: 'cap_offset', type: 'u32' },
    { name: 'pad', type: 'u32' },
  ],
  { size: 24 },
);

/** GET_INFO capability ids. */
export const VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE = 1;
/** `VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION` (include/uapi/linux/vfio.h): GET_INFO capability 2, dirty tracking's page sizes and largest bitmap. */
export const VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION = 2;
/** `VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL` (include/uapi/linux/vfio.h): GET_INFO capability 3, how many more DMA mappings the container takes. */
export const VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL = 3;

/**
 * `struct vfio_iommu_type1_info_cap_iova_range` without its flexible array (header flattened); the
 * `struct vfio_iova_range` entries follow at offset 16.
 */
export const vfio_iommu_type1_info_cap_iova_range = defineStruct(
  'vfio_iommu_type1_info_cap_iova_range',
  [
    { name: 'id', type: 'u16' },
    { name: 'version', type: 'u16' },
    { name: 'next', type: 'u32' },
    { name: 'nr_iovas', type: 'u32' },
    { name: 'reserved', type: 'u32' },
  ],
  { size: 16 },
);

/** `struct vfio_iova_range`: an inclusive interval (`end` is the last IOVA). */
export const vfio_iova_range = defineStruct(
  'vfio_iova_range',
  [
    { name: 'start', type: 'u64' },
    { name: 'end', type: 'u64' },
  ],
  { size: 16 },
);

/** `struct vfio_iommu_type1_info_cap_migration` (header flattened). */
export const vfio_iommu_type1_info_cap_migration = defineStruct(
  'vfio_iommu_type1_info_cap_migration',
  [
    { name: 'id', type: 'u16' },
    { name: 'version', type: 'u16' },
    { name: 'next', type: 'u32' },
    { name: 'flags', type: 'u32' },
    { name: 'pgsize_bitmap', type: 'u64' },
    { name: 'max_dirty_bitmap_size', type: 'u64' },
  ],
  { size: 32 },
);

/** `struct vfio_iommu_type1_info_dma_avail` (header flattened; 12 bytes, padded to 16 in a chain). */
export const vfio_iommu_type1_info_dma_avail = defineStruct(
  'vfio_iommu_type1_info_dma_avail',
  [
    { name: 'id', type: 'u16' },
    { name: 'version', type: 'u16' },
    { name: 'next', type: 'u32' },
    { name: 'avail', type: 'u32' },
  ],
  { size: 12 },
);
