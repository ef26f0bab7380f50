import { defineStruct } from '@vfio-sim/platform';

/** `VFIO_DEVICE_FLAGS_RESET`: VFIO_DEVICE_RESET is supported. */
export const VFIO_DEVICE_FLAGS_RESET = 1 << 0;
/** `VFIO_DEVICE_FLAGS_PCI`: a vfio-pci device. */
export const VFIO_DEVICE_FLAGS_PCI = 1 << 1;
/** `VFIO_DEVICE_FLAGS_CAPS`: `cap_offset` is valid. */
export const VFIO_DEVICE_FLAGS_CAPS = 1 << 7;

/** `struct vfio_device_info` (24 bytes); the kernel's minsz is offsetofend(num_irqs) = 16. */
export const vfio_device_info = defineStruct(
  'vfio_device_info',
  [
    { name: 'argsz', type: 'u32' },
    { name: 'flags', type: 'u32' },
    { name: 'num_regions', type: 'u32' },
    { name: 'num_irqs', type: 'u32' },
    { name: 'cap_offset', type: 'u32' },
    { name: 'pad', type: 'u32' },
  ],
  { size: 24 },
);
