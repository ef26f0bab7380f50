export { VFIO_DEVICE_FOPS, vfioDeviceOpenFile } from './device-fd.js';
export { LOG_MAX_RANGES, vfioCheckFeature, vfioIoctlDeviceFeature } from './device-feature.js';
export { Vfio } from './vfio.js';
export { VfioDevice, vfioCheckMigrationOps } from './vfio-device.js';
export type { VfioDeviceOps, VfioLogOps, VfioLogRange, VfioMigrationOps } from './vfio-device-ops.js';
