import { HISI_ACC_VFIO_PCI, HisiAccVfCoreDevice } from '@vfio-sim/hisi-acc-vfio-pci';
import { errnoOf, VirtualClock } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import type { AssignableDevice } from '../devices/assignable-device.js';
import { hisiAccVfModel } from '../devices/hisi-acc-vf.js';
import { createHost } from './host.js';

describe('Host', () => {
  it('binds every VF to hisi-acc-vfio-pci through driver_override; they are free for VMs', () => {
    const clock = new VirtualClock();
    const h = createHost({ name: 'a', clock, kind: 'zip', numVfs: 2 });
    expect(h.pf.name).toBe('0000:75:00.0');
    expect(h.vfs.map((v) => v.name)).toEqual(['0000:75:00.1', '0000:75:00.2']);
    for (const vf of h.vfs) {
      expect(vf.physfn).toBe(h.pf);
      expect(vf.driverOverride).toBe(HISI_ACC_VFIO_PCI);
      expect(vf.driver?.name).toBe(HISI_ACC_VFIO_PCI);
      expect(vf.iommu?.hw).toBe(h.iommu); // behind the host's one IOMMU
    }
    expect(h.vfioDevice(0)).toBeInstanceOf(HisiAccVfCoreDevice);
    expect(h.vfioDevice('0000:75:00.2')).toBe(h.vfs[1]!.drvdata);
    expect(h.qmFunction(1)).toBe(h.device.vfs[1]);
    expect(h.assignable.map((d) => [d.name, d.model.name, d.owner])).toEqual([
      ['0000:75:00.1', 'hisi-acc-vf', undefined],
      ['0000:75:00.2', 'hisi-acc-vf', undefined],
    ]);
    expect(h.freeDevice('hisi-acc-vf')).toBe(h.assignable[0]);
    expect(h.freeDevice('mtty')).toBeUndefined();
    expect(h.assignableDevice('0000:75:00.2')).toBe(h.assignable[1]);
    expect(errnoOf(() => h.assignableDevice('0000:75:00.7'))).toBe('ENODEV');
    expect(errnoOf(() => h.qmFunction(5))).toBe('ENODEV');
  });

  it('places each accelerator kind at its own PF address', () => {
    const clock = new VirtualClock();
    expect(createHost({ name: 's', clock, kind: 'sec', numVfs: 1 }).vfs[0]!.name).toBe('0000:76:00.1');
    expect(createHost({ name: 'h', clock, kind: 'hpre', numVfs: 1 }).vfs[0]!.name).toBe('0000:79:00.1');
  });

  it('installs the devices of other providers after the accelerator', () => {
    const clock = new VirtualClock();
    let seen: string | undefined;
    const h = createHost({
      name: 'p',
      clock,
      numVfs: 1,
      devices: [
        (platform) => {
          seen = `${platform.name} ${platform.iommu.format.name}`;
          const extra: AssignableDevice = {
            hostName: platform.name,
            name: 'extra',
            model: { ...hisiAccVfModel, name: 'extra-model' },
            deviceId: 0x1234,
            open: () => {
              throw new Error('not opened in this test');
            },
            dma: undefined,
            setInterruptHandler: () => {},
            owner: undefined,
          };
          return [extra];
        },
      ],
    });
    expect(seen).toBe('p arm-smmuv3-s1');
    expect(h.assignable.map((d) => d.name)).toEqual(['0000:75:00.1', 'extra']);
    expect(h.freeDevice('extra-model')?.name).toBe('extra');
  });

  it('needs at least one VF (EINVAL, no time spent)', () => {
    const clock = new VirtualClock();
    expect(errnoOf(() => createHost({ name: 'a', clock, kind: 'zip', numVfs: 0 }))).toBe('EINVAL');
    expect(errnoOf(() => createHost({ name: 'a', clock, kind: 'zip', numVfs: 1.5 }))).toBe('EINVAL');
    expect(clock.now()).toBe(0);
    expect(clock.pending).toBe(0);
  });
});
