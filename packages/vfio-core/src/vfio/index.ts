export { VFIO_DEVICE_FOPS, vfioDeviceOpenFile } from './device-fd.js';
export { LOG_MAX_RANGES, vfioCheckFeature, vfioIoctlDeviceFeature } from './device-feature.js';
export { Vfio } from './vfio.js';
export {
  VfioDevice,
  type VfioDeviceOps,
  type VfioLogOps,
  type VfioLogRange,
  type VfioMigrationOps,
  type VfioRegistry,
  vfioCheckMigrationOps,
} from './vfio-device.js';
