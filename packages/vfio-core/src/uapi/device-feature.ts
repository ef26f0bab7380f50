import { defineStruct } from '@vfio-sim/platform';

/** `VFIO_DEVICE_FEATURE_MASK`: the feature index bits of `vfio_device_feature.flags`. */
export const VFIO_DEVICE_FEATURE_MASK = 0xffff;
/** `VFIO_DEVICE_FEATURE_GET`: read the feature's payload. */
export const VFIO_DEVICE_FEATURE_GET = 1 << 16;
/** `VFIO_DEVICE_FEATURE_SET`: write the feature's payload. */
export const VFIO_DEVICE_FEATURE_SET = 1 << 17;
/** `VFIO_DEVICE_FEATURE_PROBE`: only ask whether the feature (and the GET/SET bits given) is supported. */
export const VFIO_DEVICE_FEATURE_PROBE = 1 << 18;

// Feature indexes.
/**
 * `VFIO_DEVICE_FEATURE_PCI_VF_TOKEN` (include/uapi/linux/vfio.h): feature 0, SET the VF token (a UUID) that
 * PF and VF users must share.
 */
export const VFIO_DEVICE_FEATURE_PCI_VF_TOKEN = 0;
/**
 * `VFIO_DEVICE_FEATURE_MIGRATION` (include/uapi/linux/vfio.h): feature 1, GET the device's `migration_flags`
 * (`struct vfio_device_feature_migration`); absent (ENOTTY) when the device cannot migrate.
 */
export const VFIO_DEVICE_FEATURE_MIGRATION = 1;
/**
 * `VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE` (include/uapi/linux/vfio.h): feature 2, GET or SET the migration
 * state (`struct vfio_device_feature_mig_state`); a SET that opens a session returns its `data_fd`.
 */
export const VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE = 2;
/**
 * `VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY` (include/uapi/linux/vfio.h): feature 3, SET to let the device enter
 * runtime low power (D3cold).
 */
export const VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY = 3;
/**
 * `VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP` (include/uapi/linux/vfio.h): feature 4, as
 * LOW_POWER_ENTRY with an eventfd signalled on wake-up.
 */
export const VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP = 4;
/**
 * `VFIO_DEVICE_FEATURE_LOW_POWER_EXIT` (include/uapi/linux/vfio.h): feature 5, SET to bring the device out
 * of runtime low power.
 */
export const VFIO_DEVICE_FEATURE_LOW_POWER_EXIT = 5;
/**
 * `VFIO_DEVICE_FEATURE_DMA_LOGGING_START` (include/uapi/linux/vfio.h): feature 6, SET to start the device's
 * own DMA dirty tracking over the IOVA ranges given (`struct vfio_device_feature_dma_logging_control`).
 */
export const VFIO_DEVICE_FEATURE_DMA_LOGGING_START = 6;
/**
 * `VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP` (include/uapi/linux/vfio.h): feature 7, SET to stop device DMA
 * dirty tracking.
 */
export const VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP = 7;
/**
 * `VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT` (include/uapi/linux/vfio.h): feature 8, GET (read and clear) the
 * dirty bitmap of one IOVA range (`struct vfio_device_feature_dma_logging_report`).
 */
export const VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT = 8;
/**
 * `VFIO_DEVICE_FEATURE_MIG_DATA_SIZE` (include/uapi/linux/vfio.h): feature 9, GET the estimated bytes
 * STOP_COPY would produce (`struct vfio_device_feature_mig_data_size`).
 */
export const VFIO_DEVICE_FEATURE_MIG_DATA_SIZE = 9;

// `vfio_device_feature_migration.flags` bits.
/**
 * `VFIO_MIGRATION_STOP_COPY` (include/uapi/linux/vfio.h): `migration_flags` bit 0, the device supports STOP,
 * STOP_COPY and RESUMING — required of every migratable device.
 */
export const VFIO_MIGRATION_STOP_COPY = 1 << 0;
/**
 * `VFIO_MIGRATION_P2P` (include/uapi/linux/vfio.h): `migration_flags` bit 1, the device supports RUNNING_P2P
 * (and PRE_COPY_P2P with PRE_COPY).
 */
export const VFIO_MIGRATION_P2P = 1 << 1;
/**
 * `VFIO_MIGRATION_PRE_COPY` (include/uapi/linux/vfio.h): `migration_flags` bit 2, the device supports
 * PRE_COPY: state streams while it still runs.
 */
export const VFIO_MIGRATION_PRE_COPY = 1 << 2;

// `enum vfio_device_mig_state` (the values MIG_DEVICE_STATE carries).
/**
 * `VFIO_DEVICE_STATE_ERROR` (include/uapi/linux/vfio.h, `enum vfio_device_mig_state`): 0, a transition
 * failed and left the device unusable; only VFIO_DEVICE_RESET leaves it (to RUNNING).
 */
export const VFIO_DEVICE_STATE_ERROR = 0;
/**
 * `VFIO_DEVICE_STATE_STOP` (include/uapi/linux/vfio.h, `enum vfio_device_mig_state`): 1, the device runs
 * nothing, issues no DMA or interrupts, and its internal state does not change.
 */
export const VFIO_DEVICE_STATE_STOP = 1;
/**
 * `VFIO_DEVICE_STATE_RUNNING` (include/uapi/linux/vfio.h, `enum vfio_device_mig_state`): 2, normal
 * operation; the state after open and after a reset.
 */
export const VFIO_DEVICE_STATE_RUNNING = 2;
/**
 * `VFIO_DEVICE_STATE_STOP_COPY` (include/uapi/linux/vfio.h, `enum vfio_device_mig_state`): 3, stopped, and
 * the saving `data_fd` streams its complete state.
 */
export const VFIO_DEVICE_STATE_STOP_COPY = 3;
/**
 * `VFIO_DEVICE_STATE_RESUMING` (include/uapi/linux/vfio.h, `enum vfio_device_mig_state`): 4, stopped, and
 * the resuming `data_fd` takes the state to load.
 */
export const VFIO_DEVICE_STATE_RESUMING = 4;
/**
 * `VFIO_DEVICE_STATE_RUNNING_P2P` (include/uapi/linux/vfio.h, `enum vfio_device_mig_state`): 5, running, but
 * the device initiates no peer-to-peer DMA, so every device of a VM can be quiesced before any of them stops
 * (needs VFIO_MIGRATION_P2P).
 */
export const VFIO_DEVICE_STATE_RUNNING_P2P = 5;
/**
 * `VFIO_DEVICE_STATE_PRE_COPY` (include/uapi/linux/vfio.h, `enum vfio_device_mig_state`): 6, running while
 * the saving `data_fd` streams initial state ahead of the stop (needs VFIO_MIGRATION_PRE_COPY).
 */
export const VFIO_DEVICE_STATE_PRE_COPY = 6;
/**
 * `VFIO_DEVICE_STATE_PRE_COPY_P2P` (include/uapi/linux/vfio.h, `enum vfio_device_mig_state`): 7, PRE_COPY
 * with RUNNING_P2P's restriction (needs both flags).
 */
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
