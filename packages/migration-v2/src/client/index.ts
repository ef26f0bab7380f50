export {
  QemuFileReader,
  QemuFileWriter,
  VFIO_MIG_FLAG_DEV_CONFIG_STATE,
  VFIO_MIG_FLAG_DEV_DATA_STATE,
  VFIO_MIG_FLAG_DEV_INIT_DATA_SENT,
  VFIO_MIG_FLAG_DEV_SETUP_STATE,
  VFIO_MIG_FLAG_END_OF_STATE,
} from '@vfio-sim/vfio-core';
export {
  type QemuRunState,
  QemuV2Client,
  type QemuV2ClientOptions,
  VFIO_MIG_DEFAULT_DATA_BUFFER_SIZE,
  VFIO_MIG_STOP_COPY_SIZE,
} from './qemu-v2-client.js';
export { type QemuV2SaveOptions, qemuV2LoadDevice, qemuV2SaveDevice } from './qemu-v2-sequence.js';
