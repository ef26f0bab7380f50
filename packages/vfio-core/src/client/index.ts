export {
  type IoctlStructResult,
  VfioDeviceHandle,
  type VfioDeviceInfo,
  type VfioRegionCap,
  type VfioRegionInfo,
  type VfioUserMapping,
} from './device-handle.js';
export {
  QemuFileReader,
  QemuFileWriter,
  VFIO_MIG_FLAG_DEV_CONFIG_STATE,
  VFIO_MIG_FLAG_DEV_DATA_STATE,
  VFIO_MIG_FLAG_DEV_INIT_DATA_SENT,
  VFIO_MIG_FLAG_DEV_SETUP_STATE,
  VFIO_MIG_FLAG_END_OF_STATE,
  type VfioDeviceConfigOps,
} from './qemu-file.js';
