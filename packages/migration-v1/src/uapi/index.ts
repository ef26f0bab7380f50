/** The region's type/subtype (`VFIO_REGION_TYPE_MIGRATION_DEPRECATED` 3 / subtype 1), from vfio-core's uAPI. */
export {
  VFIO_REGION_SUBTYPE_MIGRATION_DEPRECATED,
  VFIO_REGION_TYPE_MIGRATION_DEPRECATED,
} from '@vfio-sim/vfio-core';
export {
  deviceStateName,
  isSaving,
  VFIO_DEVICE_STATE_IS_ERROR,
  VFIO_DEVICE_STATE_MASK,
  VFIO_DEVICE_STATE_SET_ERROR,
  VFIO_DEVICE_STATE_V1_RESUMING,
  VFIO_DEVICE_STATE_V1_RUNNING,
  VFIO_DEVICE_STATE_V1_SAVING,
  VFIO_DEVICE_STATE_V1_STOP,
  VFIO_DEVICE_STATE_VALID,
} from './device-state.js';
export { vfio_device_migration_info } from './migration-info.js';
