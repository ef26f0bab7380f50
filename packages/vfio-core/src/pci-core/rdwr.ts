import {
  type FilePosition,
  type GuestMemory,
  KernelError,
  type MmioRegion,
  type Task,
} from '@vfio-sim/platform';
import type { PciConfigSpace } from '../pci/config-space.js';
import { pciResourceLen } from '../pci/pci-dev.js';
import {
  VFIO_PCI_BAR5_REGION_INDEX,
  VFIO_PCI_CONFIG_REGION_INDEX,
  VFIO_PCI_NUM_REGIONS,
  VFIO_PCI_OFFSET_TO_INDEX,
  VFIO_PCI_ROM_REGION_INDEX,
  VFIO_PCI_VGA_REGION_INDEX,
  vfioPciOffsetInRegion,
} from '../uapi/regions.js';
import type { VfioPciCoreDevice } from './vfio-pci-core-device.js';

/**
 * `vfio_pci_core_read`: read `count` bytes at device-fd offset `pos` (region `pos >> 40`) into user memory
 * at `buf`; advances `pos`; returns the bytes read (BAR accesses are clamped at the BAR end).
 */
export function vfioPciCoreRead(
  vdev: VfioPciCoreDevice,
  current: Task,
  buf: number,
  count: number,
  pos: FilePosition,
): number {
  if (count === 0) return 0;
  return vfioPciRw(vdev, current, buf, count, pos, false);
}

/** `vfio_pci_core_write`: the write counterpart of {@link vfioPciCoreRead}. */
export function vfioPciCoreWrite(
  vdev: VfioPciCoreDevice,
  current: Task,
  buf: number,
  count: number,
  pos: FilePosition,
): number {
  if (count === 0) return 0;
  return vfioPciRw(vdev, current, buf, count, pos, true);
}

/**
 * `vfio_pci_rw`: route by region index — config space, ROM (read-only), BARs, VGA (absent: EINVAL),
 * device-specific regions (their `rw` op).
 * @throws KernelError EINVAL (index out of range, ROM write, VGA, position past the end), EFAULT.
 */
export function vfioPciRw(
  vdev: VfioPciCoreDevice,
  current: Task,
  buf: number,
  count: number,
  pos: FilePosition,
  iswrite: boolean,
): number {
  const index = VFIO_PCI_OFFSET_TO_INDEX(pos.value);
  if (index >= VFIO_PCI_NUM_REGIONS + vdev.regions.length) {
    throw new KernelError('EINVAL', `${vdev.name}: region index ${index} out of range`, { index });
  }
  switch (index) {
    case VFIO_PCI_CONFIG_REGION_INDEX:
      return vfioPciConfigRw(vdev, current, buf, count, pos, iswrite);
    case VFIO_PCI_ROM_REGION_INDEX:
      if (iswrite) throw new KernelError('EINVAL', `${vdev.name}: the ROM is read-only`);
      return vfioPciBarRw(vdev, current, buf, count, pos, false);
    case VFIO_PCI_VGA_REGION_INDEX:
      throw new KernelError('EINVAL', `${vdev.name}: no VGA region`);
    default: {
      if (index <= VFIO_PCI_BAR5_REGION_INDEX) return vfioPciBarRw(vdev, current, buf, count, pos, iswrite);
      const region = vdev.regions[index - VFIO_PCI_NUM_REGIONS]!;
      const n = region.ops.rw(vdev, region, current, buf, count, vfioPciOffsetInRegion(pos.value), iswrite);
      pos.value += n;
      return n;
    }
  }
}

const scratch8 = new Uint8Array(8);
const scratch2 = scratch8.subarray(0, 2);
const scratch1 = scratch8.subarray(0, 1);

/**
 * `vfio_pci_bar_rw` (BAR0..5 and the ROM): position must be inside the BAR; `count` is clamped at its
 * end; the user buffer is checked before the device sees anything; the access is split into naturally
 * aligned 8/4/2/1-byte MMIO transactions (`vfio_pci_core_do_io_rw`).
 * @throws KernelError EINVAL (no BAR / past the end), EFAULT (user buffer).
 */
export function vfioPciBarRw(
  vdev: VfioPciCoreDevice,
  current: Task,
  buf: number,
  count: number,
  pos: FilePosition,
  iswrite: boolean,
): number {
  const bar = VFIO_PCI_OFFSET_TO_INDEX(pos.value);
  const off = vfioPciOffsetInRegion(pos.value);
  const end = pciResourceLen(vdev.pdev, bar);
  if (off >= end) {
    throw new KernelError('EINVAL', `${vdev.name}: BAR${bar} access at 0x${off.toString(16)} ≥ size ${end}`, {
      bar,
      off,
      end,
    });
  }
  const n = Math.min(count, end - off);
  const user = current.mm.resolve(buf, n);
  if (bar === VFIO_PCI_ROM_REGION_INDEX) {
    user.memory.write(user.offset, vdev.pdev.rom!.subarray(off, off + n));
  } else {
    doIoRw(vdev.pdev.bars[bar]!, user.memory, user.offset, off, n, iswrite);
  }
  pos.value += n;
  return n;
}

/** `vfio_pci_core_do_io_rw`: naturally aligned transactions, widest first. */
function doIoRw(
  region: MmioRegion,
  mem: GuestMemory,
  at: number,
  off: number,
  count: number,
  iswrite: boolean,
): void {
  let done = 0;
  while (done < count) {
    const left = count - done;
    const o = off + done;
    const u = at + done;
    if (left >= 4 && o % 4 === 0) {
      if (left >= 8 && o % 8 === 0) {
        if (iswrite) {
          mem.read(u, scratch8);
          region.write(o, scratch8);
        } else {
          region.read(o, scratch8);
          mem.write(u, scratch8);
        }
        done += 8;
      } else {
        if (iswrite) region.writel(o, mem.readU32(u));
        else mem.writeU32(u, region.readl(o));
        done += 4;
      }
    } else {
      const chunk = left >= 2 && o % 2 === 0 ? scratch2 : scratch1;
      if (iswrite) {
        mem.read(u, chunk);
        region.write(o, chunk);
      } else {
        region.read(o, chunk);
        mem.write(u, chunk);
      }
      done += chunk.length;
    }
  }
}

/**
 * `vfio_pci_config_rw`: config space access, clamped at the config size, split into aligned 4/2/1-byte
 * accesses; writes change only the writable bits.
 * @throws KernelError EINVAL (past the end), EFAULT.
 */
export function vfioPciConfigRw(
  vdev: VfioPciCoreDevice,
  current: Task,
  buf: number,
  count: number,
  pos: FilePosition,
  iswrite: boolean,
): number {
  const off = vfioPciOffsetInRegion(pos.value);
  const cfg: PciConfigSpace = vdev.pdev.config;
  if (off >= cfg.size) throw new KernelError('EINVAL', `${vdev.name}: config access at ${off} ≥ ${cfg.size}`);
  const n = Math.min(count, cfg.size - off);
  const user = current.mm.resolve(buf, n);
  let done = 0;
  while (done < n) {
    const o = off + done;
    const left = n - done;
    const w: 1 | 2 | 4 = left >= 4 && o % 4 === 0 ? 4 : left >= 2 && o % 2 === 0 ? 2 : 1;
    const u = user.offset + done;
    if (iswrite) {
      const v = w === 4 ? user.memory.readU32(u) : w === 2 ? user.memory.readU16(u) : user.memory.readU8(u);
      cfg.write(o, w, v);
    } else {
      const v = cfg.read(o, w);
      if (w === 4) user.memory.writeU32(u, v);
      else if (w === 2) user.memory.writeU16(u, v);
      else user.memory.writeU8(u, v);
    }
    done += w;
  }
  pos.value += n;
  return n;
}
