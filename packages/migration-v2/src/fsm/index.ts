export {
  isMigState,
  isSavingState,
  migStateName,
  VFIO_DEVICE_NUM_STATES,
  VFIO_DEVICE_STATE_ERROR,
  VFIO_DEVICE_STATE_PRE_COPY,
  VFIO_DEVICE_STATE_PRE_COPY_P2P,
  VFIO_DEVICE_STATE_RESUMING,
  VFIO_DEVICE_STATE_RUNNING,
  VFIO_DEVICE_STATE_RUNNING_P2P,
  VFIO_DEVICE_STATE_STOP,
  VFIO_DEVICE_STATE_STOP_COPY,
  VFIO_MIGRATION_P2P,
  VFIO_MIGRATION_PRE_COPY,
  VFIO_MIGRATION_STOP_COPY,
  type VfioDeviceMigState,
} from './mig-state.js';
export {
  migStateSupported,
  vfioMigComputeNextState,
  vfioMigGetNextState,
  vfioMigPath,
} from './next-state.js';
