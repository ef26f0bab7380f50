import { KernelError } from '@vfio-sim/platform';
import { PCI_BASE_ADDRESS_0 } from '@vfio-sim/vfio-core';
import type { VfioPciDevice } from '../devices/vfio-pci-device.js';

/** QEMU arm virt's 32-bit PCIe MMIO window (`VIRT_PCIE_MMIO` in hw/arm/virt.c): its base. */
export const VIRT_PCIE_MMIO_BASE = 0x1000_0000;
/** QEMU arm virt's 32-bit PCIe MMIO window: its size. */
export const VIRT_PCIE_MMIO_SIZE = 0x2eff_0000;

/**
 * The guest's firmware assigns the BARs of the guest's devices in the 32-bit PCIe MMIO window, as
 * Linux's `pci_assign_unassigned_resources` / `pdev_sort_resources` do: the largest BAR first, each
 * naturally aligned, written to the device's emulated config (QEMU then maps the BAR there).
 *
 * Differs on purpose: one flat window (no bridges), and every BAR goes below 4 GiB (the model's
 * devices have only 32-bit BARs).
 * @throws KernelError ENOSPC when a BAR does not fit ("no space for BAR n"); the BARs assigned so far
 *   stay assigned (the guest fails to boot: its VM quits).
 */
export function assignGuestBars(devices: readonly VfioPciDevice[]): void {
  const bars = devices
    .flatMap((dev) => dev.config.bars.map(({ bar, size }) => ({ dev, bar, size })))
    .sort((a, b) => b.size - a.size);
  let next = VIRT_PCIE_MMIO_BASE;
  for (const { dev, bar, size } of bars) {
    const at = Math.ceil(next / size) * size;
    if (at + size > VIRT_PCIE_MMIO_BASE + VIRT_PCIE_MMIO_SIZE)
      throw new KernelError(
        'ENOSPC',
        `${dev.host.name}: no space for BAR ${bar} of 0x${size.toString(16)} bytes`,
      );
    dev.config.write(PCI_BASE_ADDRESS_0 + 4 * bar, 4, at);
    next = at + size;
  }
}
