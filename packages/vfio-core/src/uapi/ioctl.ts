/**
 * VFIO ioctl numbers (include/uapi/linux/vfio.h). Every VFIO ioctl is `_IO(VFIO_TYPE, VFIO_BASE + n)`:
 * type `';'` (0x3B), no size or direction encoded — the `argsz` field inside each struct carries the size.
 */

/** `VFIO_TYPE`: the ioctl type byte, `';'`. */
export const VFIO_TYPE = 0x3b;
/** `VFIO_BASE`: first ioctl number. */
export const VFIO_BASE = 100;

/** `_IO(type, nr)`: an ioctl number without size or direction bits. */
export function _IO(type: number, nr: number): number {
  return ((type & 0xff) << 8) | (nr & 0xff);
}

/** `VFIO_DEVICE_GET_INFO` (0x3B6B): `struct vfio_device_info`. */
export const VFIO_DEVICE_GET_INFO = _IO(VFIO_TYPE, VFIO_BASE + 7);
/** `VFIO_DEVICE_GET_REGION_INFO` (0x3B6C): `struct vfio_region_info` (+ capability chain). */
export const VFIO_DEVICE_GET_REGION_INFO = _IO(VFIO_TYPE, VFIO_BASE + 8);
/**
 * `VFIO_DEVICE_GET_IRQ_INFO` (0x3B6D): `struct vfio_irq_info`. vfio-pci-core answers ENOTTY (interrupts
 * are not modelled); a driver that emulates its own (mtty) answers it.
 */
export const VFIO_DEVICE_GET_IRQ_INFO = _IO(VFIO_TYPE, VFIO_BASE + 9);
/** `VFIO_DEVICE_SET_IRQS` (0x3B6E). Not modelled (no eventfds): answers ENOTTY. */
export const VFIO_DEVICE_SET_IRQS = _IO(VFIO_TYPE, VFIO_BASE + 10);
/** `VFIO_DEVICE_RESET` (0x3B6F): function reset; no argument. */
export const VFIO_DEVICE_RESET = _IO(VFIO_TYPE, VFIO_BASE + 11);
/** `VFIO_DEVICE_FEATURE` (0x3B75): `struct vfio_device_feature` + payload. */
export const VFIO_DEVICE_FEATURE = _IO(VFIO_TYPE, VFIO_BASE + 17);
/** `VFIO_MIG_GET_PRECOPY_INFO` (0x3B79): on a migration data fd (handled by the driver's file). */
export const VFIO_MIG_GET_PRECOPY_INFO = _IO(VFIO_TYPE, VFIO_BASE + 21);
/** `VFIO_DEVICE_BIND_IOMMUFD` (0x3B76): on a device cdev fd, `struct vfio_device_bind_iommufd`. */
export const VFIO_DEVICE_BIND_IOMMUFD = _IO(VFIO_TYPE, VFIO_BASE + 18);
/** `VFIO_DEVICE_ATTACH_IOMMUFD_PT` (0x3B77): `struct vfio_device_attach_iommufd_pt` (cdev fds only). */
export const VFIO_DEVICE_ATTACH_IOMMUFD_PT = _IO(VFIO_TYPE, VFIO_BASE + 19);
/** `VFIO_DEVICE_DETACH_IOMMUFD_PT` (0x3B78): `struct vfio_device_detach_iommufd_pt` (cdev fds only). */
export const VFIO_DEVICE_DETACH_IOMMUFD_PT = _IO(VFIO_TYPE, VFIO_BASE + 20);
