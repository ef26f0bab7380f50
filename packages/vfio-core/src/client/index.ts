export {
  type IoctlStructResult,
  VfioDeviceHandle,
  type VfioDeviceInfo,
  type VfioRegionCap,
  type VfioRegionInfo,
  type VfioUserMapping,
} from './device-handle.js';
