export { VFIO_PCI_CORE_OPS } from './core-ops.js';
export { vfioPciCoreRegisterDevRegion } from './dev-region.js';
export {
  vfioPciCoreCloseDevice,
  vfioPciCoreDisable,
  vfioPciCoreEnable,
  vfioPciCoreFinishEnable,
  vfioPciCoreInitDev,
  vfioPciCoreMatch,
  vfioPciCoreOpenDevice,
  vfioPciCoreReleaseDev,
  vfioPciCoreRequest,
} from './enable.js';
export { VfioInfoCaps } from './info-caps.js';
export {
  REGION_INFO_MINSZ,
  vfioPciCoreIoctl,
  vfioPciCoreIoctlFeature,
  vfioPciIoctlGetInfo,
  vfioPciIoctlGetRegionInfo,
  vfioPciIoctlReset,
} from './ioctl.js';
export {
  vfioIommufdPhysicalAttachIoas,
  vfioIommufdPhysicalBind,
  vfioIommufdPhysicalDetachIoas,
  vfioIommufdPhysicalUnbind,
} from './iommufd-physical.js';
export { VfioPciMapping } from './mapping.js';
export { vfioPciCoreMmap, vfioPciVmaRegion } from './mmap.js';
export { vfioPciMergeOps, vfioPciResolveOps } from './ops-style.js';
export { vfioPciBarRw, vfioPciConfigRw, vfioPciCoreRead, vfioPciCoreWrite, vfioPciRw } from './rdwr.js';
export {
  type VfioPciCoreProbeOptions,
  vfioInitDevice,
  vfioPciCoreProbe,
  vfioPciCoreRegisterDevice,
  vfioPciCoreRemove,
  vfioPciCoreUnregisterDevice,
} from './register.js';
export {
  type VfioOpsStyle,
  VfioPciCoreDevice,
  type VfioPciCoreDeviceOptions,
  type VfioPciRegion,
  type VfioPciRegionOps,
} from './vfio-pci-core-device.js';
export { vfioPciDriver } from './vfio-pci-driver.js';
