import {
  AMD_V1,
  ARM_SMMUV3_S1,
  type IoPgtableFormat,
  type IoPgtableFormatName,
  VTD_SS,
} from './io-pgtable-format.js';
import { IOMMUFD_MOCK } from './io-pgtable-format-mock.js';

/** Every format by name: the three vendor formats and the iommufd selftest's mock. */
export const IO_PGTABLE_FORMATS: Readonly<Record<IoPgtableFormatName, IoPgtableFormat>> = {
  'amd-v1': AMD_V1,
  'vtd-ss': VTD_SS,
  'arm-smmuv3-s1': ARM_SMMUV3_S1,
  'iommufd-mock': IOMMUFD_MOCK,
};
