import { KernelError, type Task } from '@vfio-sim/platform';
import {
  copyMinFromUser,
  REGION_INFO_MINSZ,
  VFIO_DEVICE_FLAGS_PCI,
  VFIO_DEVICE_GET_INFO,
  VFIO_DEVICE_GET_IRQ_INFO,
  VFIO_DEVICE_GET_REGION_INFO,
  VFIO_DEVICE_RESET,
  VFIO_DEVICE_SET_IRQS,
  VFIO_DEVICE_STATE_RUNNING,
  VFIO_IRQ_INFO_AUTOMASKED,
  VFIO_IRQ_INFO_EVENTFD,
  VFIO_IRQ_INFO_MASKABLE,
  VFIO_IRQ_INFO_NORESIZE,
  VFIO_PCI_BAR0_REGION_INDEX,
  VFIO_PCI_BAR1_REGION_INDEX,
  VFIO_PCI_CONFIG_REGION_INDEX,
  VFIO_PCI_INDEX_TO_OFFSET,
  VFIO_PCI_INTX_IRQ_INDEX,
  VFIO_PCI_MSI_IRQ_INDEX,
  VFIO_PCI_NUM_IRQS,
  VFIO_PCI_NUM_REGIONS,
  VFIO_REGION_INFO_FLAG_READ,
  VFIO_REGION_INFO_FLAG_WRITE,
  vfio_device_info,
  vfio_irq_info,
  vfio_region_info,
} from '@vfio-sim/vfio-core';
import { mttyDisableFiles } from '../migration/mtty-migration-file.js';
import { MTTY_CONFIG_SPACE_SIZE, MTTY_IO_BAR_SIZE } from './config-space.js';
import type { MttyMdevState } from './mdev-state.js';

const DEVICE_INFO_MINSZ = vfio_device_info.offsetOfEnd('num_irqs');
const IRQ_INFO_MINSZ = vfio_irq_info.offsetOfEnd('count');

/**
 * VFIO_DEVICE_GET_INFO (`mtty_get_device_info`): a PCI device with the 9 fixed regions and 5 IRQ
 * indexes; the answer is also kept as `dev_info` (GET_IRQ_INFO checks against it). argsz < 16 → EINVAL;
 * only the 16 minsz bytes are written back.
 */
function mttyGetDeviceInfo(mdevState: MttyMdevState, current: Task, arg: number): number {
  const info = copyMinFromUser(current.mm, vfio_device_info, arg, DEVICE_INFO_MINSZ);
  if (info.argsz < DEVICE_INFO_MINSZ) {
    throw new KernelError('EINVAL', `vfio_device_info argsz ${info.argsz} < ${DEVICE_INFO_MINSZ}`);
  }
  info.flags = VFIO_DEVICE_FLAGS_PCI;
  info.num_regions = VFIO_PCI_NUM_REGIONS;
  info.num_irqs = VFIO_PCI_NUM_IRQS;
  mdevState.devInfoNumIrqs = info.num_irqs;
  current.mm.copyToUser(arg, vfio_device_info.encode(info).subarray(0, DEVICE_INFO_MINSZ));
  return 0;
}

/**
 * VFIO_DEVICE_GET_REGION_INFO (`vfio_get_region_info` + `mtty_ioctl_get_region_info`): config space 0xff
 * bytes, BAR0 8 bytes, BAR1 8 bytes on a two-port device, every other index below 9 size 0; offset
 * `index << 40`, flags READ | WRITE for all of them, no capabilities. argsz < 32 or index ≥ 9 → EINVAL.
 */
function mttyGetRegionInfo(mdevState: MttyMdevState, current: Task, arg: number): number {
  const info = copyMinFromUser(current.mm, vfio_region_info, arg, REGION_INFO_MINSZ);
  if (info.argsz < REGION_INFO_MINSZ) {
    throw new KernelError('EINVAL', `vfio_region_info argsz ${info.argsz} < ${REGION_INFO_MINSZ}`);
  }
  const index = info.index;
  if (index >= VFIO_PCI_NUM_REGIONS) {
    throw new KernelError('EINVAL', `${mdevState.name}: region index ${index} ≥ ${VFIO_PCI_NUM_REGIONS}`);
  }
  const size =
    index === VFIO_PCI_CONFIG_REGION_INDEX
      ? MTTY_CONFIG_SPACE_SIZE
      : index === VFIO_PCI_BAR0_REGION_INDEX ||
          (index === VFIO_PCI_BAR1_REGION_INDEX && mdevState.nrPorts === 2)
        ? MTTY_IO_BAR_SIZE
        : 0;
  mdevState.regionSize[index] = size;
  info.size = BigInt(size);
  info.offset = BigInt(VFIO_PCI_INDEX_TO_OFFSET(index));
  info.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
  current.mm.copyToUser(arg, vfio_region_info.encode(info).subarray(0, REGION_INFO_MINSZ));
  return 0;
}

/**
 * VFIO_DEVICE_GET_IRQ_INFO (`mtty_get_irq_info`): INTx (maskable, automasked) and MSI (no resize), one
 * vector each, signalled by eventfd. argsz < 16, an index ≥ the `num_irqs` GET_INFO reported (0 before
 * any GET_INFO), or any index but INTx/MSI → EINVAL.
 */
function mttyGetIrqInfo(mdevState: MttyMdevState, current: Task, arg: number): number {
  const info = copyMinFromUser(current.mm, vfio_irq_info, arg, IRQ_INFO_MINSZ);
  if (info.argsz < IRQ_INFO_MINSZ || info.index >= mdevState.devInfoNumIrqs) {
    throw new KernelError(
      'EINVAL',
      `vfio_irq_info argsz ${info.argsz}, index ${info.index} (num_irqs ${mdevState.devInfoNumIrqs})`,
    );
  }
  if (info.index !== VFIO_PCI_INTX_IRQ_INDEX && info.index !== VFIO_PCI_MSI_IRQ_INDEX) {
    throw new KernelError('EINVAL', `${mdevState.name}: IRQ index ${info.index} not supported`);
  }
  info.flags =
    VFIO_IRQ_INFO_EVENTFD |
    (info.index === VFIO_PCI_INTX_IRQ_INDEX
      ? VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED
      : VFIO_IRQ_INFO_NORESIZE);
  info.count = 1;
  current.mm.copyToUser(arg, vfio_irq_info.encode(info).subarray(0, IRQ_INFO_MINSZ));
  return 0;
}

/**
 * VFIO_DEVICE_RESET (`mtty_reset`, the deferred reset taken at once — the model has no state mutex held
 * elsewhere): the migration state goes back to RUNNING and both data files are disabled. The ports keep
 * their registers and FIFO contents, as in the sample.
 */
export function mttyReset(mdevState: MttyMdevState): number {
  mdevState.migState = VFIO_DEVICE_STATE_RUNNING;
  mttyDisableFiles(mdevState);
  return 0;
}

/**
 * `mtty_ioctl()`: GET_INFO, GET_REGION_INFO, GET_IRQ_INFO and RESET; anything else ENOTTY. SET_IRQS is
 * ENOTTY in the model (no eventfds to signal; the sample wires INTx/MSI eventfds).
 */
export function mttyIoctl(mdevState: MttyMdevState, current: Task, cmd: number, arg: number): number {
  switch (cmd) {
    case VFIO_DEVICE_GET_INFO:
      return mttyGetDeviceInfo(mdevState, current, arg);
    case VFIO_DEVICE_GET_REGION_INFO:
      return mttyGetRegionInfo(mdevState, current, arg);
    case VFIO_DEVICE_GET_IRQ_INFO:
      return mttyGetIrqInfo(mdevState, current, arg);
    case VFIO_DEVICE_RESET:
      return mttyReset(mdevState);
    case VFIO_DEVICE_SET_IRQS:
      throw new KernelError('ENOTTY', `${mdevState.name}: VFIO_DEVICE_SET_IRQS (interrupts not modelled)`);
    default:
      throw new KernelError('ENOTTY', `${mdevState.name}: ioctl 0x${cmd.toString(16)}`);
  }
}
