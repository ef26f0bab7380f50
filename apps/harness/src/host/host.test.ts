import { HISI_ACC_VFIO_PCI, HisiAccVfCoreDevice } from '@vfio-sim/hisi-acc-vfio-pci';
import { errnoOf, VirtualClock } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { createHost } from './host.js';

describe('createHost', () => {
  it('binds VF 0 to hisi-acc-vfio-pci through driver_override and opens its device fd in a VMM', () => {
    const clock = new VirtualClock();
    const h = createHost({ name: 'a', clock, kind: 'zip', numVfs: 2 });
    expect(h.pf.name).toBe('0000:75:00.0');
    expect(h.vf.name).toBe('0000:75:00.1');
    expect(h.vf.physfn).toBe(h.pf);
    expect(h.vf.driverOverride).toBe(HISI_ACC_VFIO_PCI);
    expect(h.vf.driver?.name).toBe(HISI_ACC_VFIO_PCI);
    expect(h.vfioDevice).toBeInstanceOf(HisiAccVfCoreDevice);
    expect(h.device.vfs).toHaveLength(2);
    expect(h.vfHw).toBe(h.device.vfs[0]);
    expect(h.vfHandle.getInfo().numRegions).toBeGreaterThan(9);
    expect(h.vmm.name).toBe('qemu@a');
  });

  it('places each accelerator kind at its own PF address', () => {
    const clock = new VirtualClock();
    expect(createHost({ name: 's', clock, kind: 'sec', numVfs: 1 }).vf.name).toBe('0000:76:00.1');
    expect(createHost({ name: 'h', clock, kind: 'hpre', numVfs: 1 }).vf.name).toBe('0000:79:00.1');
  });

  it('needs at least one VF (EINVAL, no time spent)', () => {
    const clock = new VirtualClock();
    expect(errnoOf(() => createHost({ name: 'a', clock, kind: 'zip', numVfs: 0 }))).toBe('EINVAL');
    expect(errnoOf(() => createHost({ name: 'a', clock, kind: 'zip', numVfs: 1.5 }))).toBe('EINVAL');
    expect(clock.now()).toBe(0);
    expect(clock.pending).toBe(0);
  });
});
