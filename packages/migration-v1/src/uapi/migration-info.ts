import { defineStruct } from '@vfio-sim/platform';

/**
 * `struct vfio_device_migration_info` (32 bytes), at offset 0 of the v1 migration region. Field access
 * must be at native width and alignment.
 */
export const vfio_device_migration_info = defineStruct(
  'vfio_device_migration_info',
  [
    { name: 'device_state', type: 'u32', offset: 0 },
    { name: 'reserved', type: 'u32', offset: 4 },
    { name: 'pending_bytes', type: 'u64', offset: 8 },
    { name: 'data_offset', type: 'u64', offset: 16 },
    { name: 'data_size', type: 'u64', offset: 24 },
  ],
  { size: 32 },
);

/** `VFIO_REGION_TYPE_MIGRATION_DEPRECATED` (was VFIO_REGION_TYPE_MIGRATION before v5.18). */
export const VFIO_REGION_TYPE_MIGRATION_DEPRECATED = 3;
/** `VFIO_REGION_SUBTYPE_MIGRATION_DEPRECATED` (was VFIO_REGION_SUBTYPE_MIGRATION before v5.18). */
export const VFIO_REGION_SUBTYPE_MIGRATION_DEPRECATED = 1;
