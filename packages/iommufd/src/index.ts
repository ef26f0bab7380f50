/**
 * @packageDocumentation
 * iommufd: IO address spaces (IOAS), hardware page tables (HWPT) in three real vendor formats and the
 * selftest's mock format, device DMA translated through them with an IOTLB, and IOMMU dirty tracking
 * (SET_DIRTY_TRACKING, GET_DIRTY_BITMAP) — plus device DMA logging (`log_ops`), the legacy VFIO
 * container with its type1 driver, and iommufd's VFIO compatibility container.
 */

export {
  combineIovaRanges,
  type DmaLoggingRange,
  DmaPageTracker,
  type DmaPageTrackerOptions,
  LOG_MAX_RANGES,
} from './dma-page-tracker.js';
export { IOAS_IOVA_MODEL_LIMIT, Ioas, type IoptArea } from './io-pagetable.js';
export {
  IO_PGTABLE_IOVA_LIMIT,
  IO_PGTABLE_LEVEL_SIZE,
  IO_PGTABLE_LEVELS,
  IO_PGTABLE_PGSIZE_BITMAP,
  IoPgtable,
  type IoPtWalk,
  IotlbGather,
  newIoPtWalk,
} from './io-pgtable.js';
export {
  AMD_V1,
  ARM_SMMUV3_S1,
  type IommuProt,
  type IoPgtableFormat,
  type IoPgtableFormatName,
  type IoPgtableGeometry,
  VENDOR_GEOMETRY,
  VTD_SS,
} from './io-pgtable-format.js';
export { IOMMUFD_MOCK, MOCK_GEOMETRY } from './io-pgtable-format-mock.js';
export { IO_PGTABLE_FORMATS } from './io-pgtable-formats.js';
export { IommuDomain, type IommuDomainAllocOptions, type IovaRange } from './iommu-domain.js';
export {
  IOMMU_CAP_DIRTY_TRACKING,
  IOMMU_HW_INFO_SELFTEST_REGVAL,
  IommuDevice,
  type IommuDeviceOptions,
  IommuDmaPort,
  IommuHw,
  type IommuHwOptions,
} from './iommu-hw.js';
export { type IoasMapOptions, IommufdClient } from './iommufd-client.js';
export {
  HwptPaging,
  IOMMUFD_FOPS,
  IommufdCtx,
  IommufdDevice,
  type IommufdObject,
  iommufdCtxFromFile,
  openIommufd,
} from './iommufd-ctx.js';
export * from './iommufd-selftest.js';
export { IOTLB_ENTRIES, Iotlb } from './iotlb.js';
export { IovaBitmap } from './iova-bitmap.js';
export { hostPhysMap, PhysMap, type PhysRange } from './phys-map.js';
export {
  dmaAvailCap,
  iovaRangeCap,
  migrationCap,
  type1GetInfo,
  VFIO_IOMMU_GET_INFO_MINSZ,
} from './type1-info.js';
export * from './uapi.js';
export { accessOk, copyMinFromUser, TASK_SIZE_MAX } from './user-struct.js';
export { compatPagesizes, iommufdVfioIoctl } from './vfio-compat.js';
export { openVfioContainer, VFIO_CONTAINER_FOPS, VfioContainer } from './vfio-container.js';
export { VfioInfoCap, vfio_info_cap_header } from './vfio-info-cap.js';
export {
  DIRTY_BITMAP_PAGES_MAX,
  DIRTY_BITMAP_SIZE_MAX,
  DMA_ENTRY_LIMIT_DEFAULT,
  type Type1Group,
  type VfioBitmapArg,
  VfioIommuType1,
} from './vfio-iommu-type1.js';
export * from './vfio-type1-uapi.js';
