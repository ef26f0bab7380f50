import type { IoPgtableFormatName } from '@vfio-sim/iommufd';

/** The IOMMU format a host gets unless told otherwise: HiSilicon Kunpeng is arm64 with an SMMUv3. */
export const DEFAULT_IOMMU_FORMAT: IoPgtableFormatName = 'arm-smmuv3-s1';

/** The IOMMU formats a host can have, in the order the CLI lists them. */
export const IOMMU_FORMATS: readonly IoPgtableFormatName[] = ['amd-v1', 'vtd-ss', 'arm-smmuv3-s1'];
