import { IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR } from '@vfio-sim/iommufd';
import { errnoOf, VirtualClock } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { createHost } from '../host/host.js';
import { IOMMU_FORMATS } from '../host/host-iommu.js';
import { attachVf } from './vf-passthrough.js';
import { Vm } from './vm.js';

describe('mapGuestRamForDma (through attachVf)', () => {
  it.each(IOMMU_FORMATS)('%s: the VF DMAs through a dirty-tracking HWPT at IOVA = GPA', (format) => {
    const clock = new VirtualClock();
    const host = createHost({ name: 'h', clock, kind: 'zip', numVfs: 1, iommu: format });
    const vm = Vm.create({ name: 'g', clock, memorySize: 4 << 20 });
    const vf = attachVf(vm, host);
    const { client } = host.iommu;
    expect(host.iommu.format).toBe(format);
    expect(host.iommu.dirtyTracking).toBe(true);
    expect(vf.dma).toMatchObject({ iova: 0, length: 4 << 20, dirtyTracking: true });
    expect(host.iommu.device.domain).toBe(host.iommu.file.privateData.hwpt(vf.dma.hwptId).domain);

    client.setDirtyTracking(vf.dma.hwptId, true);
    vm.dirtyLog.start();
    host.iommu.device.dmaPort.writeU32(0x3_2000, 0xfeed); // the VF's DMA, as the device model issues it
    expect(vm.memory.readU32(0x3_2000)).toBe(0xfeed);
    const mm = client.process.mm;
    const bitmap = mm.alloc(128, 8);
    client.getDirtyBitmap(vf.dma.hwptId, 0, 4 << 20, 4096, bitmap, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR);
    const bytes = mm.copyFromUser(bitmap, 128);
    const dirty = [...bytes].flatMap((b, i) =>
      [0, 1, 2, 3, 4, 5, 6, 7].filter((k) => b & (1 << k)).map((k) => i * 8 + k),
    );
    expect(dirty).toEqual([0x32]);
  });

  it('a DMA outside guest RAM faults in the IOMMU (EFAULT) and writes nothing', () => {
    const clock = new VirtualClock();
    const host = createHost({ name: 'h', clock, kind: 'zip', numVfs: 1 });
    const vm = Vm.create({ name: 'g', clock, memorySize: 4 << 20 });
    attachVf(vm, host);
    expect(errnoOf(() => host.iommu.device.dmaPort.writeU32(4 << 20, 1))).toBe('EFAULT');
    expect(host.iommu.device.faults).toBe(1);
    expect(vm.memory.touchedPages()).toEqual([]);
  });
});
