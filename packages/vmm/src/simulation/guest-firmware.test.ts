import { errnoOf } from '@vfio-sim/platform';
import { PCI_BASE_ADDRESS_0 } from '@vfio-sim/vfio-core';
import { describe, expect, it } from 'vitest';
import { HISI_ACC_VF_MODEL } from '../devices/hisi-acc-vf.js';
import { VIRT_PCIE_MMIO_BASE, VIRT_PCIE_MMIO_SIZE } from './guest-firmware.js';
import { Simulation } from './simulation.js';

/** Every assigned BAR of the guest's devices: [start, size]. */
function assigned(sim: Simulation, n: number) {
  const host = sim.createHost({ name: 'h', numVfs: n });
  const guest = sim.createGuest({
    host,
    memory: 128 << 20,
    devices: Array<string>(n).fill(HISI_ACC_VF_MODEL),
  });
  return guest.vm.devices.flatMap((dev) =>
    dev.config.bars.map(({ bar, size }) => [dev.config.read(PCI_BASE_ADDRESS_0 + 4 * bar, 4), size] as const),
  );
}

describe('assignGuestBars (through Guest.create)', () => {
  it('every BAR naturally aligned inside the 32-bit window, none overlapping, the largest first', () => {
    const bars = assigned(new Simulation({ seed: 1 }), 4);
    expect(bars).toHaveLength(8);
    const sorted = [...bars].sort((a, b) => a[0] - b[0]);
    for (const [i, [start, size]] of sorted.entries()) {
      expect(start % size).toBe(0);
      expect(start).toBeGreaterThanOrEqual(VIRT_PCIE_MMIO_BASE);
      expect(start + size).toBeLessThanOrEqual(VIRT_PCIE_MMIO_BASE + VIRT_PCIE_MMIO_SIZE);
      if (i > 0) expect(start).toBeGreaterThanOrEqual(sorted[i - 1]![0] + sorted[i - 1]![1]);
    }
    // the four 64 MiB BARs pack the window's start; the 32 KiB ones follow
    expect(sorted.slice(0, 4).map(([, size]) => size)).toEqual(Array(4).fill(64 << 20));
  });

  it('a guest whose BARs do not fit fails to boot with ENOSPC; its VM quits and every VF is free', () => {
    const sim = new Simulation({ seed: 1 });
    const host = sim.createHost({ name: 'h', numVfs: 12 });
    let message = '';
    const errno = errnoOf(() => {
      try {
        sim.createGuest({ host, memory: 128 << 20, devices: Array<string>(12).fill(HISI_ACC_VF_MODEL) });
      } catch (e) {
        message = (e as Error).message;
        throw e;
      }
    });
    expect(errno).toBe('ENOSPC');
    expect(message).toMatch(/no space for BAR 4 of 0x4000000 bytes/);
    expect(host.assignable.every((d) => d.owner === undefined)).toBe(true);
    // eleven fit: 11 × 64 MiB + 11 × 32 KiB < 751 MiB
    expect(assigned(new Simulation({ seed: 1 }), 11)).toHaveLength(22);
  });
});
