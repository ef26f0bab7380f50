export {
  QemuFileReader,
  QemuFileWriter,
  VFIO_MIG_FLAG_DEV_CONFIG_STATE,
  VFIO_MIG_FLAG_DEV_DATA_STATE,
  VFIO_MIG_FLAG_DEV_SETUP_STATE,
  VFIO_MIG_FLAG_END_OF_STATE,
} from '@vfio-sim/vfio-core';
export {
  QemuV1Client,
  type QemuV1ClientOptions,
  type SaveProgress,
  type V1ConfigPlacement,
} from './qemu-v1-client.js';
export { ProcessRegionIo, type RegionIo } from './region-io.js';
