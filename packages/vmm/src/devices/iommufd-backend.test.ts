import { IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, type IoPgtableFormatName } from '@vfio-sim/iommufd';
import { errnoOf, VirtualClock } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { vfVm } from '../__fixtures__/vf-guest.js';
import { createHost } from '../host/host.js';
import { IOMMU_FORMATS } from '../host/host-iommu.js';
import { realizeVfioPci } from './vfio-pci-device.js';

describe('IommufdBackend (through realizeVfioPci)', () => {
  it.each(
    IOMMU_FORMATS.flatMap((format) => [
      [format, false],
      [format, true],
    ]) as [IoPgtableFormatName, boolean][],
  )('%s (huge IOMMU leaves: %s): the VF DMAs through a dirty-tracking HWPT at IOVA = GPA', (format, huge) => {
    const clock = new VirtualClock();
    const host = createHost({ name: 'h', clock, kind: 'zip', numVfs: 1, iommu: format });
    const { vm, vf } = vfVm(host, 4 << 20, 'g', { iommuHugePages: huge });
    const backend = vm.iommufd!;
    const { client } = backend;
    expect(host.iommu.format.name).toBe(format);
    expect(backend).toMatchObject({ iova: 0, length: 4 << 20 });
    expect(backend.hwptList).toEqual([vf.iommufd!.hwpt]);
    expect(vf.iommufd!.hwpt.dirtyTracking).toBe(true);
    const iommuDev = vf.host.dma!.iommu;
    // attached to a dirty-capable domain that holds the device, not blocked (NULL: every DMA faults)
    expect(iommuDev.domain?.dirtyOps).toBe(true);
    expect(iommuDev.domain?.devices.has(iommuDev)).toBe(true);

    client.setDirtyTracking(vf.iommufd!.hwpt.id, true);
    vm.dirtyLog.start();
    iommuDev.dmaPort.writeU32(0x3_2000, 0xfeed); // the VF's DMA, as the device model issues it
    expect(vm.memory.readU32(0x3_2000)).toBe(0xfeed);
    const mm = client.process.mm;
    const bitmap = mm.alloc(128, 8);
    client.getDirtyBitmap(
      vf.iommufd!.hwpt.id,
      0,
      4 << 20,
      4096,
      bitmap,
      IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR,
    );
    const bytes = mm.copyFromUser(bitmap, 128);
    const dirty = [...bytes].flatMap((b, i) =>
      [0, 1, 2, 3, 4, 5, 6, 7].filter((k) => b & (1 << k)).map((k) => i * 8 + k),
    );
    // 4 KiB leaves: the page written; 2 MiB leaves (HUGE_PAGES on): every page of the leaf, as the kernel
    // records a dirty leaf whole (the page never written included)
    expect(dirty).toEqual(huge ? Array.from({ length: 512 }, (_, i) => i) : [0x32]);
    expect(vm.iommuHugePages).toBe(huge);
  });

  it('two VFs behind the same IOMMU share one HWPT; RAM is mapped once', () => {
    const host = createHost({ name: 'h', clock: new VirtualClock(), numVfs: 2 });
    const { vm } = vfVm(host, 4 << 20);
    const second = realizeVfioPci(vm, host.assignable[1]!);
    expect(vm.iommufd!.hwptList).toHaveLength(1);
    expect(second.iommufd!.hwpt).toBe(vm.devices[0]!.iommufd!.hwpt);
    expect(vm.process.openFds()).toHaveLength(3);
  });

  it('a DMA outside guest RAM faults in the IOMMU (EFAULT) and writes nothing', () => {
    const host = createHost({ name: 'h', clock: new VirtualClock(), kind: 'zip', numVfs: 1 });
    const { vm, vf } = vfVm(host, 4 << 20);
    const iommuDev = vf.host.dma!.iommu;
    expect(errnoOf(() => iommuDev.dmaPort.writeU32(4 << 20, 1))).toBe('EFAULT');
    expect(iommuDev.faults).toBe(1);
    expect(vm.memory.touchedPages()).toEqual([]);
  });
});
