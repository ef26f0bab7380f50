/**
 * @packageDocumentation
 * iommufd: IO address spaces (IOAS), hardware page tables (HWPT) in three real vendor formats, device
 * DMA translated through them with an IOTLB, and IOMMU dirty tracking (SET_DIRTY_TRACKING,
 * GET_DIRTY_BITMAP) — plus device DMA logging (`log_ops`) and the legacy VFIO type1 container.
 */

export {
  combineIovaRanges,
  type DmaLoggingRange,
  DmaPageTracker,
  type DmaPageTrackerOptions,
  LOG_MAX_RANGES,
} from './dma-page-tracker.js';
export { IOAS_IOVA_MODEL_LIMIT, Ioas, type IoptArea, type IovaRange } from './io-pagetable.js';
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
  IO_PGTABLE_FORMATS,
  type IommuProt,
  type IoPgtableFormat,
  type IoPgtableFormatName,
  VTD_SS,
} from './io-pgtable-format.js';
export { IommuDomain, type IommuDomainAllocOptions } from './iommu-domain.js';
export {
  IOMMU_CAP_DIRTY_TRACKING,
  IommuDevice,
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
export { IOTLB_ENTRIES, Iotlb } from './iotlb.js';
export { IovaBitmap } from './iova-bitmap.js';
export { hostPhysMap, PhysMap, type PhysRange } from './phys-map.js';
export * from './uapi.js';
export {
  DIRTY_BITMAP_PAGES_MAX,
  DIRTY_BITMAP_SIZE_MAX,
  DMA_ENTRY_LIMIT_DEFAULT,
  TYPE1_PGSIZE,
  type Type1Group,
  VFIO_DMA_MAP_FLAG_READ,
  VFIO_DMA_MAP_FLAG_WRITE,
  VFIO_DMA_UNMAP_FLAG_ALL,
  VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP,
  VFIO_DMA_UNMAP_FLAG_VADDR,
  VFIO_IOMMU_DIRTY_PAGES,
  VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP,
  VFIO_IOMMU_DIRTY_PAGES_FLAG_START,
  VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP,
  VFIO_IOMMU_MAP_DMA,
  VFIO_IOMMU_UNMAP_DMA,
  type VfioBitmapArg,
  VfioIommuType1,
  vfio_bitmap,
  vfio_iommu_type1_dirty_bitmap,
  vfio_iommu_type1_dirty_bitmap_get,
  vfio_iommu_type1_dma_map,
  vfio_iommu_type1_dma_unmap,
} from './vfio-iommu-type1.js';
