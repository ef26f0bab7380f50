import { defineStruct } from '@vfio-sim/platform';

/** `VFIO_REGION_INFO_FLAG_READ`. */
export const VFIO_REGION_INFO_FLAG_READ = 1 << 0;
/** `VFIO_REGION_INFO_FLAG_WRITE`. */
export const VFIO_REGION_INFO_FLAG_WRITE = 1 << 1;
/** `VFIO_REGION_INFO_FLAG_MMAP`. */
export const VFIO_REGION_INFO_FLAG_MMAP = 1 << 2;
/** `VFIO_REGION_INFO_FLAG_CAPS`: a capability chain follows (at `cap_offset`). */
export const VFIO_REGION_INFO_FLAG_CAPS = 1 << 3;

// Capability ids of the region-info chain.
/**
 * `VFIO_REGION_INFO_CAP_SPARSE_MMAP` (include/uapi/linux/vfio.h): capability id 1, the region is mmap-able
 * only in the areas listed (`struct vfio_region_info_cap_sparse_mmap`).
 */
export const VFIO_REGION_INFO_CAP_SPARSE_MMAP = 1;
/**
 * `VFIO_REGION_INFO_CAP_TYPE` (include/uapi/linux/vfio.h): capability id 2, the type and subtype of a
 * device-specific region (`struct vfio_region_info_cap_type`).
 */
export const VFIO_REGION_INFO_CAP_TYPE = 2;
/**
 * `VFIO_REGION_INFO_CAP_MSIX_MAPPABLE` (include/uapi/linux/vfio.h): capability id 3, the BAR holding the
 * MSI-X table may be mmapped whole.
 */
export const VFIO_REGION_INFO_CAP_MSIX_MAPPABLE = 3;

// Region types (TYPE capability).
/**
 * `VFIO_REGION_TYPE_PCI_VENDOR_TYPE` (include/uapi/linux/vfio.h): bit 31 of a region type, set for
 * vendor-defined types (the low 16 bits are the PCI vendor id).
 */
export const VFIO_REGION_TYPE_PCI_VENDOR_TYPE = 1 << 31;
/**
 * `VFIO_REGION_TYPE_PCI_VENDOR_MASK` (include/uapi/linux/vfio.h): 0xffff, the vendor id bits of a
 * vendor-defined region type.
 */
export const VFIO_REGION_TYPE_PCI_VENDOR_MASK = 0xffff;
/**
 * `VFIO_REGION_TYPE_GFX` (include/uapi/linux/vfio.h): region type 1, graphics (e.g. the EDID region of mdev
 * vGPUs).
 */
export const VFIO_REGION_TYPE_GFX = 1;
/** `VFIO_REGION_TYPE_CCW` (include/uapi/linux/vfio.h): region type 2, s390 channel I/O (vfio-ccw). */
export const VFIO_REGION_TYPE_CCW = 2;
/** The v1 migration region type (named `VFIO_REGION_TYPE_MIGRATION` before v5.18; same value). */
export const VFIO_REGION_TYPE_MIGRATION_DEPRECATED = 3;
/** The v1 migration region subtype (named `VFIO_REGION_SUBTYPE_MIGRATION` before v5.18). */
export const VFIO_REGION_SUBTYPE_MIGRATION_DEPRECATED = 1;

/** `struct vfio_region_info` (32 bytes = minsz, offsetofend(offset)). */
export const vfio_region_info = defineStruct(
  'vfio_region_info',
  [
    { name: 'argsz', type: 'u32' },
    { name: 'flags', type: 'u32' },
    { name: 'index', type: 'u32' },
    { name: 'cap_offset', type: 'u32' },
    { name: 'size', type: 'u64' },
    { name: 'offset', type: 'u64' },
  ],
  { size: 32 },
);

/** `struct vfio_info_cap_header` (declared once, with the generic chain, in `@vfio-sim/iommufd`). */
export { vfio_info_cap_header } from '@vfio-sim/iommufd';

/** `struct vfio_region_info_cap_type` (header flattened: id, version, next). */
export const vfio_region_info_cap_type = defineStruct(
  'vfio_region_info_cap_type',
  [
    { name: 'id', type: 'u16' },
    { name: 'version', type: 'u16' },
    { name: 'next', type: 'u32' },
    { name: 'type', type: 'u32' },
    { name: 'subtype', type: 'u32' },
  ],
  { size: 16 },
);

/** `struct vfio_region_info_cap_sparse_mmap` header (areas follow, 16 bytes each). */
export const vfio_region_info_cap_sparse_mmap = defineStruct(
  'vfio_region_info_cap_sparse_mmap',
  [
    { name: 'id', type: 'u16' },
    { name: 'version', type: 'u16' },
    { name: 'next', type: 'u32' },
    { name: 'nr_areas', type: 'u32' },
    { name: 'reserved', type: 'u32' },
  ],
  { size: 16 },
);

/** `struct vfio_region_sparse_mmap_area`. */
export const vfio_region_sparse_mmap_area = defineStruct(
  'vfio_region_sparse_mmap_area',
  [
    { name: 'offset', type: 'u64' },
    { name: 'size', type: 'u64' },
  ],
  { size: 16 },
);
