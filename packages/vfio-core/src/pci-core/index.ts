export { VFIO_PCI_CORE_OPS } from './core-ops.js';
export { vfioPciCoreRegisterDevRegion } from './dev-region.js';
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
  type VfioPciCoreProbeOptions,
  vfioInitDevice,
  vfioPciCoreCloseDevice,
  vfioPciCoreDisable,
  vfioPciCoreEnable,
  vfioPciCoreFinishEnable,
  vfioPciCoreInitDev,
  vfioPciCoreMatch,
  vfioPciCoreOpenDevice,
  vfioPciCoreProbe,
  vfioPciCoreRegisterDevice,
  vfioPciCoreReleaseDev,
  vfioPciCoreRemove,
  vfioPciCoreRequest,
  vfioPciCoreUnregisterDevice,
} from './lifecycle.js';
export { VfioPciMapping, vfioPciCoreMmap } from './mmap.js';
export { type VfioOpsStyle, vfioPciMergeOps, vfioPciResolveOps } from './ops-style.js';
export { vfioPciBarRw, vfioPciConfigRw, vfioPciCoreRead, vfioPciCoreWrite, vfioPciRw } from './rdwr.js';
export { VfioPciCoreDevice, type VfioPciCoreDeviceOptions } from './vfio-pci-core-device.js';
export { vfioPciDriver } from './vfio-pci-driver.js';
export type { VfioPciRegion, VfioPciRegionOps } from './vfio-pci-region.js';
