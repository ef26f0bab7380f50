import { defineStruct } from '@vfio-sim/platform';

export { VFIO_MIG_GET_PRECOPY_INFO } from '@vfio-sim/vfio-core';

/**
 * `struct vfio_precopy_info` (include/uapi/linux/vfio.h), the argument of VFIO_MIG_GET_PRECOPY_INFO on a
 * saving data fd: `initial_bytes` still to read of the initial state, `dirty_bytes` of state changed since.
 */
export const vfio_precopy_info = defineStruct(
  'vfio_precopy_info',
  [
    { name: 'argsz', type: 'u32' },
    { name: 'flags', type: 'u32' },
    { name: 'initial_bytes', type: 'u64' },
    { name: 'dirty_bytes', type: 'u64' },
  ],
  { size: 24 },
);
