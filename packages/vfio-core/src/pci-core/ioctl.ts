import { copyMinFromUser } from '@vfio-sim/iommufd';
import { KernelError, type Task } from '@vfio-sim/platform';
import { pciTryResetFunction } from '../pci/iov.js';
import { pciResourceLen } from '../pci/pci-dev.js';
import { VFIO_DEVICE_FLAGS_PCI, VFIO_DEVICE_FLAGS_RESET, vfio_device_info } from '../uapi/device-info.js';
import { VFIO_DEVICE_GET_INFO, VFIO_DEVICE_GET_REGION_INFO, VFIO_DEVICE_RESET } from '../uapi/ioctl.js';
import {
  VFIO_REGION_INFO_FLAG_CAPS,
  VFIO_REGION_INFO_FLAG_MMAP,
  VFIO_REGION_INFO_FLAG_READ,
  VFIO_REGION_INFO_FLAG_WRITE,
  vfio_region_info,
} from '../uapi/region-info.js';
import {
  VFIO_PCI_BAR5_REGION_INDEX,
  VFIO_PCI_CONFIG_REGION_INDEX,
  VFIO_PCI_INDEX_TO_OFFSET,
  VFIO_PCI_NUM_IRQS,
  VFIO_PCI_NUM_REGIONS,
  VFIO_PCI_ROM_REGION_INDEX,
  VFIO_PCI_VGA_REGION_INDEX,
} from '../uapi/regions.js';
import { VfioInfoCaps } from './info-caps.js';
import type { VfioPciCoreDevice } from './vfio-pci-core-device.js';

/** `minsz` of VFIO_DEVICE_GET_INFO: offsetofend(struct vfio_device_info, num_irqs). */
const DEVICE_INFO_MINSZ = vfio_device_info.offsetOfEnd('num_irqs');
/** `minsz` of VFIO_DEVICE_GET_REGION_INFO: offsetofend(struct vfio_region_info, offset) = 32. */
export const REGION_INFO_MINSZ = vfio_region_info.offsetOfEnd('offset');

/**
 * `vfio_pci_core_ioctl`: VFIO_DEVICE_GET_INFO, VFIO_DEVICE_GET_REGION_INFO and VFIO_DEVICE_RESET; every
 * other command (IRQ info/set and hot reset are not modelled) is ENOTTY. VFIO_DEVICE_FEATURE never
 * arrives here (vfio_main handles it).
 */
export function vfioPciCoreIoctl(vdev: VfioPciCoreDevice, current: Task, cmd: number, arg: number): number {
  switch (cmd) {
    case VFIO_DEVICE_GET_INFO:
      return vfioPciIoctlGetInfo(vdev, current, arg);
    case VFIO_DEVICE_GET_REGION_INFO:
      return vfioPciIoctlGetRegionInfo(vdev, current, arg);
    case VFIO_DEVICE_RESET:
      return vfioPciIoctlReset(vdev);
    default:
      throw new KernelError('ENOTTY', `${vdev.name}: ioctl 0x${cmd.toString(16)} not supported`, { cmd });
  }
}

/**
 * `vfio_pci_ioctl_get_info`: flags PCI (+ RESET if the function can be reset), num_regions = 9 + the
 * device-specific regions, num_irqs = 5. argsz below 16 → EINVAL; only minsz bytes are written back.
 */
export function vfioPciIoctlGetInfo(vdev: VfioPciCoreDevice, current: Task, arg: number): number {
  const info = copyMinFromUser(current.mm, vfio_device_info, arg, DEVICE_INFO_MINSZ);
  if (info.argsz < DEVICE_INFO_MINSZ) {
    throw new KernelError('EINVAL', `vfio_device_info argsz ${info.argsz} < ${DEVICE_INFO_MINSZ}`);
  }
  info.flags = VFIO_DEVICE_FLAGS_PCI | (vdev.resetWorks ? VFIO_DEVICE_FLAGS_RESET : 0);
  info.num_regions = VFIO_PCI_NUM_REGIONS + vdev.regions.length;
  info.num_irqs = VFIO_PCI_NUM_IRQS;
  current.mm.copyToUser(arg, vfio_device_info.encode(info).subarray(0, DEVICE_INFO_MINSZ));
  return 0;
}

/**
 * `vfio_pci_ioctl_get_region_info`: offset = index << 40 and size/flags per region (config R|W; BARs R|W
 * plus MMAP when mmap-capable, flags 0 for an absent BAR; ROM READ when present; VGA absent → EINVAL;
 * device regions from their registration plus a TYPE capability). With capabilities, if argsz is too
 * small for them argsz is raised to the size needed and cap_offset = 0 (no error); otherwise they are
 * copied after the struct and cap_offset = 32. Fields the kernel does not set (cap_offset without caps)
 * come back as the caller passed them.
 * @throws KernelError EFAULT, EINVAL (argsz < 32, index out of range, VGA).
 */
export function vfioPciIoctlGetRegionInfo(vdev: VfioPciCoreDevice, current: Task, arg: number): number {
  const info = current.mm.readStruct(vfio_region_info, arg);
  if (info.argsz < REGION_INFO_MINSZ) {
    throw new KernelError('EINVAL', `vfio_region_info argsz ${info.argsz} < ${REGION_INFO_MINSZ}`);
  }
  const caps = new VfioInfoCaps();
  const index = info.index;
  const pdev = vdev.pdev;
  if (index === VFIO_PCI_CONFIG_REGION_INDEX) {
    info.offset = BigInt(VFIO_PCI_INDEX_TO_OFFSET(index));
    info.size = BigInt(pdev.cfgSize);
    info.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
  } else if (index <= VFIO_PCI_BAR5_REGION_INDEX) {
    info.offset = BigInt(VFIO_PCI_INDEX_TO_OFFSET(index));
    const len = pciResourceLen(pdev, index);
    info.size = BigInt(len);
    info.flags =
      len === 0
        ? 0
        : VFIO_REGION_INFO_FLAG_READ |
          VFIO_REGION_INFO_FLAG_WRITE |
          (pdev.resource[index]!.mmap ? VFIO_REGION_INFO_FLAG_MMAP : 0);
  } else if (index === VFIO_PCI_ROM_REGION_INDEX) {
    info.offset = BigInt(VFIO_PCI_INDEX_TO_OFFSET(index));
    const len = pciResourceLen(pdev, index);
    info.size = BigInt(len);
    info.flags = len === 0 ? 0 : VFIO_REGION_INFO_FLAG_READ;
  } else if (index === VFIO_PCI_VGA_REGION_INDEX) {
    throw new KernelError('EINVAL', `${vdev.name}: no VGA region`);
  } else {
    if (index >= VFIO_PCI_NUM_REGIONS + vdev.regions.length) {
      throw new KernelError('EINVAL', `${vdev.name}: region index ${index} out of range`, { index });
    }
    const region = vdev.regions[index - VFIO_PCI_NUM_REGIONS]!;
    info.offset = BigInt(VFIO_PCI_INDEX_TO_OFFSET(index));
    info.size = BigInt(region.size);
    info.flags = region.flags;
    caps.addType(region.type, region.subtype);
    region.ops.addCapability?.(vdev, region, caps);
  }
  if (caps.size > 0) {
    info.flags |= VFIO_REGION_INFO_FLAG_CAPS;
    const needed = vfio_region_info.size + caps.size;
    if (info.argsz < needed) {
      info.argsz = needed;
      info.cap_offset = 0;
    } else {
      current.mm.copyToUser(arg + vfio_region_info.size, caps.bytes(vfio_region_info.size));
      info.cap_offset = vfio_region_info.size;
    }
  }
  current.mm.copyToUser(arg, vfio_region_info.encode(info));
  return 0;
}

/**
 * `vfio_pci_ioctl_reset`: `pci_try_reset_function` (the reset hook, then the bound driver's
 * `reset_done`). Mappings stay valid (the kernel zaps and re-faults them).
 * @throws KernelError EINVAL if the function cannot be reset.
 */
export function vfioPciIoctlReset(vdev: VfioPciCoreDevice): number {
  if (!vdev.resetWorks) throw new KernelError('EINVAL', `${vdev.name}: reset not supported`);
  pciTryResetFunction(vdev.pdev);
  return 0;
}

/**
 * `vfio_pci_core_ioctl_feature` (the `device_feature` op): vfio-pci-core's own features are PCI_VF_TOKEN
 * (only for PFs with VFs bound to vfio) and LOW_POWER_*, neither modelled; every index answers ENOTTY.
 */
export function vfioPciCoreIoctlFeature(
  vdev: VfioPciCoreDevice,
  _current: Task,
  flags: number,
  _arg: number,
  _argsz: number,
): number {
  throw new KernelError('ENOTTY', `${vdev.name}: device feature ${flags & 0xffff} not supported`);
}
