import { defineStruct } from '@vfio-sim/platform';

/**
 * `struct vfio_device_bind_iommufd` (16 bytes; minsz = offsetofend(out_devid) = 16): `iommufd` is an
 * `__s32` fd (read it with `| 0`), `out_devid` the iommufd device id written back. Newer kernels add a
 * `token_uuid_ptr` behind VFIO_DEVICE_BIND_FLAG_TOKEN, which the model does not know (flags must be 0).
 */
export const vfio_device_bind_iommufd = defineStruct('vfio_device_bind_iommufd', [
  { name: 'argsz', type: 'u32' },
  { name: 'flags', type: 'u32' },
  { name: 'iommufd', type: 'u32' },
  { name: 'out_devid', type: 'u32' },
]);

/** `VFIO_DEVICE_ATTACH_PASID`: `pasid` is valid (needs the driver's `pasid_attach_ioas`; not modelled). */
export const VFIO_DEVICE_ATTACH_PASID = 1 << 0;
/** `VFIO_DEVICE_DETACH_PASID`. */
export const VFIO_DEVICE_DETACH_PASID = 1 << 0;

/**
 * `struct vfio_device_attach_iommufd_pt` (16 bytes; minsz = offsetofend(pt_id) = 12): `pt_id` is an
 * IOAS or HWPT id on input and the HWPT actually attached on output (an IOAS gets an automatic domain).
 */
export const vfio_device_attach_iommufd_pt = defineStruct('vfio_device_attach_iommufd_pt', [
  { name: 'argsz', type: 'u32' },
  { name: 'flags', type: 'u32' },
  { name: 'pt_id', type: 'u32' },
  { name: 'pasid', type: 'u32' },
]);

/** `struct vfio_device_detach_iommufd_pt` (12 bytes; minsz = offsetofend(flags) = 8). */
export const vfio_device_detach_iommufd_pt = defineStruct('vfio_device_detach_iommufd_pt', [
  { name: 'argsz', type: 'u32' },
  { name: 'flags', type: 'u32' },
  { name: 'pasid', type: 'u32' },
]);
