import { defineStruct } from '@vfio-sim/platform';

/**
 * The iommufd user API: ioctl numbers, flags and structures, byte-exact to the C header.
 *
 * Kernel counterpart: include/uapi/linux/iommufd.h. Every command is `_IO(';', nr)`, so the number is
 * `0x3B00 | nr`; every structure starts with `__u32 size`.
 */
export const IOMMUFD_TYPE = 0x3b;
const IO = (nr: number): number => (IOMMUFD_TYPE << 8) | nr;

/**
 * `IOMMU_DESTROY` (include/uapi/linux/iommufd.h): ioctl 0x3b80, destroy any object by id (`struct
 * iommu_destroy`).
 */
export const IOMMU_DESTROY = IO(0x80);
/**
 * `IOMMU_IOAS_ALLOC` (include/uapi/linux/iommufd.h): ioctl 0x3b81, allocate an IO address space (`struct
 * iommu_ioas_alloc`).
 */
export const IOMMU_IOAS_ALLOC = IO(0x81);
/**
 * `IOMMU_IOAS_ALLOW_IOVAS` (include/uapi/linux/iommufd.h): ioctl 0x3b82, restrict automatic IOVA allocation
 * to the ranges given.
 */
export const IOMMU_IOAS_ALLOW_IOVAS = IO(0x82);
/**
 * `IOMMU_IOAS_COPY` (include/uapi/linux/iommufd.h): ioctl 0x3b83, map pages already pinned in one IOAS into
 * another.
 */
export const IOMMU_IOAS_COPY = IO(0x83);
/**
 * `IOMMU_IOAS_IOVA_RANGES` (include/uapi/linux/iommufd.h): ioctl 0x3b84, report the IOVA ranges the IOAS can
 * map.
 */
export const IOMMU_IOAS_IOVA_RANGES = IO(0x84);
/**
 * `IOMMU_IOAS_MAP` (include/uapi/linux/iommufd.h): ioctl 0x3b85, pin user memory and map it at an IOVA
 * (`struct iommu_ioas_map`).
 */
export const IOMMU_IOAS_MAP = IO(0x85);
/**
 * `IOMMU_IOAS_UNMAP` (include/uapi/linux/iommufd.h): ioctl 0x3b86, unmap an IOVA range (whole mappings
 * only).
 */
export const IOMMU_IOAS_UNMAP = IO(0x86);
/**
 * `IOMMU_OPTION` (include/uapi/linux/iommufd.h): ioctl 0x3b87, get or set a context or IOAS option (`struct
 * iommu_option`).
 */
export const IOMMU_OPTION = IO(0x87);
/**
 * `IOMMU_VFIO_IOAS` (include/uapi/linux/iommufd.h): ioctl 0x3b88, get, set or clear the IOAS the VFIO
 * container compatibility layer uses.
 */
export const IOMMU_VFIO_IOAS = IO(0x88);
/**
 * `IOMMU_HWPT_ALLOC` (include/uapi/linux/iommufd.h): ioctl 0x3b89, allocate a hardware page table for a
 * device over an IOAS (`struct iommu_hwpt_alloc`).
 */
export const IOMMU_HWPT_ALLOC = IO(0x89);
/**
 * `IOMMU_GET_HW_INFO` (include/uapi/linux/iommufd.h): ioctl 0x3b8a, report a device's IOMMU type, vendor
 * data and capabilities.
 */
export const IOMMU_GET_HW_INFO = IO(0x8a);
/**
 * `IOMMU_HWPT_SET_DIRTY_TRACKING` (include/uapi/linux/iommufd.h): ioctl 0x3b8b, turn IOMMU dirty tracking of
 * a HWPT on or off.
 */
export const IOMMU_HWPT_SET_DIRTY_TRACKING = IO(0x8b);
/**
 * `IOMMU_HWPT_GET_DIRTY_BITMAP` (include/uapi/linux/iommufd.h): ioctl 0x3b8c, read (and by default clear)
 * the dirty bits of an IOVA range into a user bitmap.
 */
export const IOMMU_HWPT_GET_DIRTY_BITMAP = IO(0x8c);

// `enum iommufd_ioas_map_flags`.
/**
 * `IOMMU_IOAS_MAP_FIXED_IOVA` (include/uapi/linux/iommufd.h, `enum iommufd_ioas_map_flags`): bit 0, map at
 * the IOVA given instead of allocating one.
 */
export const IOMMU_IOAS_MAP_FIXED_IOVA = 1 << 0;
/**
 * `IOMMU_IOAS_MAP_WRITEABLE` (include/uapi/linux/iommufd.h, `enum iommufd_ioas_map_flags`): bit 1, DMA may
 * write the mapping.
 */
export const IOMMU_IOAS_MAP_WRITEABLE = 1 << 1;
/**
 * `IOMMU_IOAS_MAP_READABLE` (include/uapi/linux/iommufd.h, `enum iommufd_ioas_map_flags`): bit 2, DMA may
 * read the mapping.
 */
export const IOMMU_IOAS_MAP_READABLE = 1 << 2;

// `enum iommufd_option` and `enum iommufd_option_ops`.
/**
 * `IOMMU_OPTION_RLIMIT_MODE` (include/uapi/linux/iommufd.h, `enum iommufd_option`): 0, account pinned pages
 * to the user (0) or the process (1).
 */
export const IOMMU_OPTION_RLIMIT_MODE = 0;
/**
 * `IOMMU_OPTION_HUGE_PAGES` (include/uapi/linux/iommufd.h, `enum iommufd_option`): 1, per IOAS: 1 lets maps
 * use huge IOPTEs, 0 forces PAGE_SIZE ones.
 */
export const IOMMU_OPTION_HUGE_PAGES = 1;
/** `IOMMU_OPTION_OP_SET` (include/uapi/linux/iommufd.h, `enum iommufd_option_ops`): 0, write `val64`. */
export const IOMMU_OPTION_OP_SET = 0;
/** `IOMMU_OPTION_OP_GET` (include/uapi/linux/iommufd.h, `enum iommufd_option_ops`): 1, read into `val64`. */
export const IOMMU_OPTION_OP_GET = 1;

// `enum iommufd_vfio_ioas_op`.
/**
 * `IOMMU_VFIO_IOAS_GET` (include/uapi/linux/iommufd.h, `enum iommufd_vfio_ioas_op`): 0, return the
 * compatibility IOAS id (allocating one if none).
 */
export const IOMMU_VFIO_IOAS_GET = 0;
/**
 * `IOMMU_VFIO_IOAS_SET` (include/uapi/linux/iommufd.h, `enum iommufd_vfio_ioas_op`): 1, make the given IOAS
 * the compatibility IOAS.
 */
export const IOMMU_VFIO_IOAS_SET = 1;
/**
 * `IOMMU_VFIO_IOAS_CLEAR` (include/uapi/linux/iommufd.h, `enum iommufd_vfio_ioas_op`): 2, forget the
 * compatibility IOAS.
 */
export const IOMMU_VFIO_IOAS_CLEAR = 2;

// `enum iommufd_hwpt_alloc_flags`.
/**
 * `IOMMU_HWPT_ALLOC_NEST_PARENT` (include/uapi/linux/iommufd.h, `enum iommufd_hwpt_alloc_flags`): bit 0, the
 * HWPT may be a nesting parent (stage 2).
 */
export const IOMMU_HWPT_ALLOC_NEST_PARENT = 1 << 0;
/**
 * `IOMMU_HWPT_ALLOC_DIRTY_TRACKING` (include/uapi/linux/iommufd.h, `enum iommufd_hwpt_alloc_flags`): bit 1,
 * the HWPT can track dirty IOVAs (EOPNOTSUPP if the IOMMU cannot).
 */
export const IOMMU_HWPT_ALLOC_DIRTY_TRACKING = 1 << 1;
/**
 * `IOMMU_HWPT_FAULT_ID_VALID` (include/uapi/linux/iommufd.h, `enum iommufd_hwpt_alloc_flags`): bit 2,
 * `fault_id` names a fault queue for IO page faults.
 */
export const IOMMU_HWPT_FAULT_ID_VALID = 1 << 2;
/**
 * `IOMMU_HWPT_ALLOC_PASID` (include/uapi/linux/iommufd.h, `enum iommufd_hwpt_alloc_flags`): bit 3, the HWPT
 * may be attached to PASIDs.
 */
export const IOMMU_HWPT_ALLOC_PASID = 1 << 3;

/** `enum iommu_hwpt_data_type` (only NONE: kernel-managed paging tables). */
export const IOMMU_HWPT_DATA_NONE = 0;

/** `enum iommu_hw_info_type`. */
export const IOMMU_HW_INFO_TYPE_NONE = 0;
/**
 * `IOMMU_HW_INFO_TYPE_INTEL_VTD` (include/uapi/linux/iommufd.h, `enum iommu_hw_info_type`): 1, vendor data
 * is `struct iommu_hw_info_vtd` (CAP/ECAP).
 */
export const IOMMU_HW_INFO_TYPE_INTEL_VTD = 1;
/**
 * `IOMMU_HW_INFO_TYPE_ARM_SMMUV3` (include/uapi/linux/iommufd.h, `enum iommu_hw_info_type`): 2, vendor data
 * is `struct iommu_hw_info_arm_smmuv3` (IDR registers).
 */
export const IOMMU_HW_INFO_TYPE_ARM_SMMUV3 = 2;
/**
 * `IOMMU_HW_INFO_TYPE_AMD` (include/uapi/linux/iommufd.h, `enum iommu_hw_info_type`): 4, vendor data is
 * `struct iommu_hw_info_amd` (EFR registers).
 */
export const IOMMU_HW_INFO_TYPE_AMD = 4;
/**
 * `IOMMU_HW_INFO_FLAG_INPUT_TYPE` (include/uapi/linux/iommufd.h): GET_HW_INFO flag bit 0, `out_data_type` is
 * an input naming the vendor type wanted.
 */
export const IOMMU_HW_INFO_FLAG_INPUT_TYPE = 1 << 0;

// `enum iommufd_hw_capabilities`.
/**
 * `IOMMU_HW_CAP_DIRTY_TRACKING` (include/uapi/linux/iommufd.h, `enum iommufd_hw_capabilities`): bit 0, the
 * IOMMU can track dirty IOVAs for this device.
 */
export const IOMMU_HW_CAP_DIRTY_TRACKING = 1 << 0;
/**
 * `IOMMU_HW_CAP_PCI_PASID_EXEC` (include/uapi/linux/iommufd.h, `enum iommufd_hw_capabilities`): bit 1, the
 * device's PASID capability has Execute Permission enabled.
 */
export const IOMMU_HW_CAP_PCI_PASID_EXEC = 1 << 1;
/**
 * `IOMMU_HW_CAP_PCI_PASID_PRIV` (include/uapi/linux/iommufd.h, `enum iommufd_hw_capabilities`): bit 2, the
 * device's PASID capability has Privileged Mode enabled.
 */
export const IOMMU_HW_CAP_PCI_PASID_PRIV = 1 << 2;

/** `enum iommufd_hwpt_set_dirty_tracking_flags`. */
export const IOMMU_HWPT_DIRTY_TRACKING_ENABLE = 1;
/** `enum iommufd_hwpt_get_dirty_bitmap_flags`. */
export const IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR = 1;

/** `struct iommu_destroy`. */
export const iommu_destroy = defineStruct(
  'iommu_destroy',
  [
    { name: 'size', type: 'u32' },
    { name: 'id', type: 'u32' },
  ],
  { size: 8 },
);

/** `struct iommu_ioas_alloc`. */
export const iommu_ioas_alloc = defineStruct(
  'iommu_ioas_alloc',
  [
    { name: 'size', type: 'u32' },
    { name: 'flags', type: 'u32' },
    { name: 'out_ioas_id', type: 'u32' },
  ],
  { size: 12 },
);

/** `struct iommu_iova_range`: an inclusive interval. */
export const iommu_iova_range = defineStruct(
  'iommu_iova_range',
  [
    { name: 'start', type: 'u64' },
    { name: 'last', type: 'u64' },
  ],
  { size: 16 },
);

/** `struct iommu_ioas_iova_ranges`. */
export const iommu_ioas_iova_ranges = defineStruct(
  'iommu_ioas_iova_ranges',
  [
    { name: 'size', type: 'u32' },
    { name: 'ioas_id', type: 'u32' },
    { name: 'num_iovas', type: 'u32' },
    { name: '__reserved', type: 'u32' },
    { name: 'allowed_iovas', type: 'u64' },
    { name: 'out_iova_alignment', type: 'u64' },
  ],
  { size: 32 },
);

/** `struct iommu_ioas_allow_iovas`. */
export const iommu_ioas_allow_iovas = defineStruct(
  'iommu_ioas_allow_iovas',
  [
    { name: 'size', type: 'u32' },
    { name: 'ioas_id', type: 'u32' },
    { name: 'num_iovas', type: 'u32' },
    { name: '__reserved', type: 'u32' },
    { name: 'allowed_iovas', type: 'u64' },
  ],
  { size: 24 },
);

/** `struct iommu_ioas_map`. */
export const iommu_ioas_map = defineStruct(
  'iommu_ioas_map',
  [
    { name: 'size', type: 'u32' },
    { name: 'flags', type: 'u32' },
    { name: 'ioas_id', type: 'u32' },
    { name: '__reserved', type: 'u32' },
    { name: 'user_va', type: 'u64' },
    { name: 'length', type: 'u64' },
    { name: 'iova', type: 'u64' },
  ],
  { size: 40 },
);

/** `struct iommu_ioas_copy`. */
export const iommu_ioas_copy = defineStruct(
  'iommu_ioas_copy',
  [
    { name: 'size', type: 'u32' },
    { name: 'flags', type: 'u32' },
    { name: 'dst_ioas_id', type: 'u32' },
    { name: 'src_ioas_id', type: 'u32' },
    { name: 'length', type: 'u64' },
    { name: 'dst_iova', type: 'u64' },
    { name: 'src_iova', type: 'u64' },
  ],
  { size: 40 },
);

/** `struct iommu_ioas_unmap`. */
export const iommu_ioas_unmap = defineStruct(
  'iommu_ioas_unmap',
  [
    { name: 'size', type: 'u32' },
    { name: 'ioas_id', type: 'u32' },
    { name: 'iova', type: 'u64' },
    { name: 'length', type: 'u64' },
  ],
  { size: 24 },
);

/** `struct iommu_option`. */
export const iommu_option = defineStruct(
  'iommu_option',
  [
    { name: 'size', type: 'u32' },
    { name: 'option_id', type: 'u32' },
    { name: 'op', type: 'u16' },
    { name: '__reserved', type: 'u16' },
    { name: 'object_id', type: 'u32' },
    { name: 'val64', type: 'u64' },
  ],
  { size: 24 },
);

/** `struct iommu_vfio_ioas`. */
export const iommu_vfio_ioas = defineStruct(
  'iommu_vfio_ioas',
  [
    { name: 'size', type: 'u32' },
    { name: 'ioas_id', type: 'u32' },
    { name: 'op', type: 'u16' },
    { name: '__reserved', type: 'u16' },
  ],
  { size: 12 },
);

/** `struct iommu_hwpt_alloc` (newest layout, with `fault_id`). */
export const iommu_hwpt_alloc = defineStruct(
  'iommu_hwpt_alloc',
  [
    { name: 'size', type: 'u32' },
    { name: 'flags', type: 'u32' },
    { name: 'dev_id', type: 'u32' },
    { name: 'pt_id', type: 'u32' },
    { name: 'out_hwpt_id', type: 'u32' },
    { name: '__reserved', type: 'u32' },
    { name: 'data_type', type: 'u32' },
    { name: 'data_len', type: 'u32' },
    { name: 'data_uptr', type: 'u64' },
    { name: 'fault_id', type: 'u32' },
    { name: '__reserved2', type: 'u32' },
  ],
  { size: 48 },
);

/** `struct iommu_hw_info`. */
export const iommu_hw_info = defineStruct(
  'iommu_hw_info',
  [
    { name: 'size', type: 'u32' },
    { name: 'flags', type: 'u32' },
    { name: 'dev_id', type: 'u32' },
    { name: 'data_len', type: 'u32' },
    { name: 'data_uptr', type: 'u64' },
    { name: 'out_data_type', type: 'u32' },
    { name: 'out_max_pasid_log2', type: 'u8' },
    { name: '__reserved', type: 'u8', count: 3 },
    { name: 'out_capabilities', type: 'u64' },
  ],
  { size: 40 },
);

/** `struct iommu_hwpt_set_dirty_tracking`. */
export const iommu_hwpt_set_dirty_tracking = defineStruct(
  'iommu_hwpt_set_dirty_tracking',
  [
    { name: 'size', type: 'u32' },
    { name: 'flags', type: 'u32' },
    { name: 'hwpt_id', type: 'u32' },
    { name: '__reserved', type: 'u32' },
  ],
  { size: 16 },
);

/** `struct iommu_hwpt_get_dirty_bitmap`. */
export const iommu_hwpt_get_dirty_bitmap = defineStruct(
  'iommu_hwpt_get_dirty_bitmap',
  [
    { name: 'size', type: 'u32' },
    { name: 'hwpt_id', type: 'u32' },
    { name: 'flags', type: 'u32' },
    { name: '__reserved', type: 'u32' },
    { name: 'iova', type: 'u64' },
    { name: 'length', type: 'u64' },
    { name: 'page_size', type: 'u64' },
    { name: 'data', type: 'u64' },
  ],
  { size: 48 },
);
