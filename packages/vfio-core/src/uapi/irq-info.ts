import { defineStruct } from '@vfio-sim/platform';

/** `VFIO_IRQ_INFO_EVENTFD`: the interrupt can be signalled through an eventfd. */
export const VFIO_IRQ_INFO_EVENTFD = 1 << 0;
/** `VFIO_IRQ_INFO_MASKABLE`: VFIO_IRQ_SET_ACTION_MASK/UNMASK are supported. */
export const VFIO_IRQ_INFO_MASKABLE = 1 << 1;
/** `VFIO_IRQ_INFO_AUTOMASKED`: the interrupt is masked when it fires (level-triggered INTx). */
export const VFIO_IRQ_INFO_AUTOMASKED = 1 << 2;
/** `VFIO_IRQ_INFO_NORESIZE`: the vector count cannot change while enabled. */
export const VFIO_IRQ_INFO_NORESIZE = 1 << 3;

/**
 * `struct vfio_irq_info` (VFIO_DEVICE_GET_IRQ_INFO, 16 bytes): the caller fills `argsz` and `index`; the
 * kernel's minsz is offsetofend(count) = 16.
 */
export const vfio_irq_info = defineStruct(
  'vfio_irq_info',
  [
    { name: 'argsz', type: 'u32' },
    { name: 'flags', type: 'u32' },
    { name: 'index', type: 'u32' },
    { name: 'count', type: 'u32' },
  ],
  { size: 16 },
);
