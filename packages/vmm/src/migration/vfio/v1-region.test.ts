import { errnoOf, Process, UserMemory, VirtualClock } from '@vfio-sim/platform';
import { VFIO_PCI_NUM_REGIONS, Vfio, vfioPciDriver } from '@vfio-sim/vfio-core';
import { describe, expect, it } from 'vitest';
import { realizeVfioPci } from '../../devices/vfio-pci-device.js';
import { createHost } from '../../host/host.js';
import { Vm } from '../../vm/vm.js';
import { findV1MigrationRegion, openQemuV1Client } from './v1-region.js';

describe('the v1 migration region', () => {
  it('is found by its type among the device-specific regions', () => {
    const h = createHost({ name: 'a', clock: new VirtualClock(), kind: 'zip', numVfs: 1 });
    const dev = realizeVfioPci(Vm.create({ name: 'g', host: h, memorySize: 1 << 20 }), h.assignable[0]!);
    const region = findV1MigrationRegion(dev.handle);
    expect(region.index).toBeGreaterThanOrEqual(VFIO_PCI_NUM_REGIONS);
    expect(region.size).toBeGreaterThan(0);
    expect(openQemuV1Client(dev).deviceState()).toBe(1); // running
  });

  it('a VF on plain vfio-pci has none: migration is blocked (EINVAL)', () => {
    const h = createHost({ name: 'a', clock: new VirtualClock(), kind: 'zip', numVfs: 2 });
    h.pci.pciDriverRegister(vfioPciDriver());
    const vf1 = h.pci.get('0000:75:00.2');
    h.pci.unbind(vf1);
    h.pci.setDriverOverride(vf1, 'vfio-pci');
    h.pci.probe(vf1);
    const handle = Vfio.of(h.pci).openDevice(new Process(new UserMemory(), 'qemu'), vf1.name);
    expect(errnoOf(() => findV1MigrationRegion(handle))).toBe('EINVAL');
  });
});
