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
