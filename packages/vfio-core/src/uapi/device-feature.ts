import { defineStruct } from '@vfio-sim/platform';

/** `VFIO_DEVICE_FEATURE_MASK`: the feature index bits of `vfio_device_feature.flags`. */
export const VFIO_DEVICE_FEATURE_MASK = 0xffff;
/** `VFIO_DEVICE_FEATURE_GET`: read the feature's payload. */
export const VFIO_DEVICE_FEATURE_GET = 1 << 16;
/** `VFIO_DEVICE_FEATURE_SET`: write the feature's payload. */
export const VFIO_DEVICE_FEATURE_SET = 1 << 17;
/** `VFIO_DEVICE_FEATURE_PROBE`: only ask whether the feature (and the GET/SET bits given) is supported. */
export const VFIO_DEVICE_FEATURE_PROBE = 1 << 18;

/** Feature indexes. */
export const VFIO_DEVICE_FEATURE_PCI_VF_TOKEN = 0;
export const VFIO_DEVICE_FEATURE_MIGRATION = 1;
export const VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE = 2;
export const VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY = 3;
export const VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP = 4;
export const VFIO_DEVICE_FEATURE_LOW_POWER_EXIT = 5;
export const VFIO_DEVICE_FEATURE_DMA_LOGGING_START = 6;
export const VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP = 7;
export const VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT = 8;
export const VFIO_DEVICE_FEATURE_MIG_DATA_SIZE = 9;

/** `vfio_device_feature_migration.flags` bits. */
export const VFIO_MIGRATION_STOP_COPY = 1 << 0;
export const VFIO_MIGRATION_P2P = 1 << 1;
export const VFIO_MIGRATION_PRE_COPY = 1 << 2;

/** `enum vfio_device_mig_state` (the values MIG_DEVICE_STATE carries). */
export const VFIO_DEVICE_STATE_ERROR = 0;
export const VFIO_DEVICE_STATE_STOP = 1;
export const VFIO_DEVICE_STATE_RUNNING = 2;
export const VFIO_DEVICE_STATE_STOP_COPY = 3;
export const VFIO_DEVICE_STATE_RESUMING = 4;
export const VFIO_DEVICE_STATE_RUNNING_P2P = 5;
export const VFIO_DEVICE_STATE_PRE_COPY = 6;
export const VFIO_DEVICE_STATE_PRE_COPY_P2P = 7;

/** `struct vfio_device_feature` header (8 bytes); the payload (`data[]`) follows at offset 8. */
export const vfio_device_feature = defineStruct(
  'vfio_device_feature',
  [
    { name: 'argsz', type: 'u32' },
    { name: 'flags', type: 'u32' },
  ],
  { size: 8 },
);

/** `struct vfio_device_feature_migration` (MIGRATION, GET). */
export const vfio_device_feature_migration = defineStruct(
  'vfio_device_feature_migration',
  [{ name: 'flags', type: 'u64' }],
  { size: 8 },
);

/**
 * `struct vfio_device_feature_mig_state` (MIG_DEVICE_STATE, GET/SET). `data_fd` is an `__s32` in C;
 * declared u32 here: -1 travels as 0xFFFFFFFF (decode with `| 0`).
 */
export const vfio_device_feature_mig_state = defineStruct(
  'vfio_device_feature_mig_state',
  [
    { name: 'device_state', type: 'u32' },
    { name: 'data_fd', type: 'u32' },
  ],
  { size: 8 },
);

/** `struct vfio_device_feature_mig_data_size` (MIG_DATA_SIZE, GET). */
export const vfio_device_feature_mig_data_size = defineStruct(
  'vfio_device_feature_mig_data_size',
  [{ name: 'stop_copy_length', type: 'u64' }],
  { size: 8 },
);

/** `struct vfio_device_feature_dma_logging_control` (DMA_LOGGING_START, SET). `ranges` is a user pointer. */
export const vfio_device_feature_dma_logging_control = defineStruct(
  'vfio_device_feature_dma_logging_control',
  [
    { name: 'page_size', type: 'u64' },
    { name: 'num_ranges', type: 'u32' },
    { name: '__reserved', type: 'u32' },
    { name: 'ranges', type: 'u64' },
  ],
  { size: 24 },
);

/** `struct vfio_device_feature_dma_logging_range`. */
export const vfio_device_feature_dma_logging_range = defineStruct(
  'vfio_device_feature_dma_logging_range',
  [
    { name: 'iova', type: 'u64' },
    { name: 'length', type: 'u64' },
  ],
  { size: 16 },
);

/** `struct vfio_device_feature_dma_logging_report` (DMA_LOGGING_REPORT, GET). `bitmap` is a user pointer. */
export const vfio_device_feature_dma_logging_report = defineStruct(
  'vfio_device_feature_dma_logging_report',
  [
    { name: 'iova', type: 'u64' },
    { name: 'length', type: 'u64' },
    { name: 'page_size', type: 'u64' },
    { name: 'bitmap', type: 'u64' },
  ],
  { size: 32 },
);
