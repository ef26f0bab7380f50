import {
  type FilePosition,
  KernelError,
  type MmioRegion,
  PAGE_SHIFT,
  type Task,
  type VmArea,
} from '@vfio-sim/platform';
import {
  VFIO_DEVICE_GET_REGION_INFO,
  VFIO_PCI_BAR2_REGION_INDEX,
  VFIO_PCI_OFFSET_SHIFT,
  VFIO_PCI_OFFSET_TO_INDEX,
  vfio_region_info,
  vfioPciCoreIoctl,
  vfioPciCoreMmap,
  vfioPciCoreRead,
  vfioPciCoreWrite,
  vfioPciOffsetInRegion,
} from '@vfio-sim/vfio-core';
import type { HisiAccVfCoreDevice } from '../core/hisi-acc-vf-core-device.js';

/*
 * The BAR2 split, enforced on every path the guest has to the VF (Alex Williamson's review of the RFC):
 * the first half of BAR2 holds the functional registers the guest driver uses, the second half the
 * migration-control registers (EQC/AEQC images, …) that only the host driver may touch. User space
 * sees a BAR2 of half the size in GET_REGION_INFO, and read, write and mmap refuse anything reaching
 * the second half.
 */

/**
 * The driver's `ioctl`: GET_REGION_INFO of BAR2 reports half the BAR; everything else (including the
 * argsz checks) is vfio-pci-core's.
 *
 * Kernel counterpart: `hisi_acc_vfio_pci_ioctl()`. Differs on purpose (defect H): the core fills the
 * answer, so `cap_offset` is the core's, not the caller's value echoed back.
 */
export function hisiAccVfioPciIoctl(
  hdev: HisiAccVfCoreDevice,
  current: Task,
  cmd: number,
  arg: number,
): number {
  const ret = vfioPciCoreIoctl(hdev, current, cmd, arg);
  if (cmd === VFIO_DEVICE_GET_REGION_INFO) {
    const info = current.mm.readStruct(vfio_region_info, arg);
    if (info.index === VFIO_PCI_BAR2_REGION_INDEX) {
      info.size = BigInt(hdev.bar2Half);
      current.mm.copyToUser(arg, vfio_region_info.encode(info));
    }
  }
  return ret;
}

/**
 * Clamp an access at `pos` to the functional half of BAR2 (other regions pass through).
 * Kernel counterpart: `hisi_acc_pci_rw_access_check()`.
 * @throws KernelError EINVAL for a position in the migration half.
 */
export function hisiAccPciRwAccessCheck(hdev: HisiAccVfCoreDevice, count: number, pos: FilePosition): number {
  if (VFIO_PCI_OFFSET_TO_INDEX(pos.value) !== VFIO_PCI_BAR2_REGION_INDEX) return count;
  const off = vfioPciOffsetInRegion(pos.value);
  const half = hdev.bar2Half;
  if (off >= half) {
    throw new KernelError(
      'EINVAL',
      `${hdev.name}: BAR2 offset 0x${off.toString(16)} is in the migration half`,
      {
        off,
        half,
      },
    );
  }
  return Math.min(count, half - off);
}

/** The driver's `read`: BAR2 clamped to its functional half. Kernel: `hisi_acc_vfio_pci_read()`. */
export function hisiAccVfioPciRead(
  hdev: HisiAccVfCoreDevice,
  current: Task,
  buf: number,
  count: number,
  pos: FilePosition,
): number {
  return vfioPciCoreRead(hdev, current, buf, hisiAccPciRwAccessCheck(hdev, count, pos), pos);
}

/** The driver's `write`: BAR2 clamped to its functional half. Kernel: `hisi_acc_vfio_pci_write()`. */
export function hisiAccVfioPciWrite(
  hdev: HisiAccVfCoreDevice,
  current: Task,
  buf: number,
  count: number,
  pos: FilePosition,
): number {
  return vfioPciCoreWrite(hdev, current, buf, hisiAccPciRwAccessCheck(hdev, count, pos), pos);
}

const PGOFF_PER_INDEX = 2 ** (VFIO_PCI_OFFSET_SHIFT - PAGE_SHIFT);

/**
 * The driver's `mmap`: a BAR2 mapping must end inside the functional half; then vfio-pci-core's checks.
 * (The model's pages are 4 KiB, so the 32 KiB half is mappable; with 64 KiB host pages no BAR2 mapping
 * fits, as the reference notes.)
 * Kernel counterpart: `hisi_acc_vfio_pci_mmap()`.
 * @throws KernelError EINVAL for a mapping reaching the migration half.
 */
export function hisiAccVfioPciMmap(hdev: HisiAccVfCoreDevice, vma: VmArea): MmioRegion {
  const index = Math.floor(vma.pgoff / PGOFF_PER_INDEX);
  if (index === VFIO_PCI_BAR2_REGION_INDEX) {
    const start = (vma.pgoff % PGOFF_PER_INDEX) * 2 ** PAGE_SHIFT;
    if (start + vma.length > hdev.bar2Half) {
      throw new KernelError(
        'EINVAL',
        `${hdev.name}: BAR2 mapping [0x${start.toString(16)}, +0x${vma.length.toString(16)}) reaches the migration half`,
      );
    }
  }
  return vfioPciCoreMmap(hdev, vma);
}
