/** `copy_min_from_user` (include/linux/vfio.h): a vfio driver's ioctl helper; iommufd's user-copy code holds it. */
export { copyMinFromUser } from '@vfio-sim/iommufd';
export {
  vfioDfIoctlAttachPt,
  vfioDfIoctlBindIommufd,
  vfioDfIoctlDetachPt,
  vfioDfUnbindIommufd,
} from './device-cdev.js';
export { VFIO_DEVICE_FOPS, vfioDeviceFopsCdevOpen, vfioDeviceOpenFile } from './device-fd.js';
export { LOG_MAX_RANGES, vfioCheckFeature, vfioIoctlDeviceFeature } from './device-feature.js';
export { VfioDeviceFile, vfioDfClose, vfioDfOpen } from './device-file.js';
export { vfioLogOpsFromTracker } from './log-ops-tracker.js';
export { Vfio } from './vfio.js';
export {
  VfioDevice,
  type VfioDeviceOps,
  type VfioIommufdBinding,
  type VfioLogOps,
  type VfioLogRange,
  type VfioMigrationOps,
  type VfioRegistry,
  vfioCheckMigrationOps,
} from './vfio-device.js';
export {
  vfioAllocDevice,
  vfioPutDevice,
  vfioRegisterEmulatedIommuDev,
  vfioUnregisterGroupDev,
} from './vfio-register.js';
