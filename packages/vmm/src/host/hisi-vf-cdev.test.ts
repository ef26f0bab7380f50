import { deflateRawSync } from 'node:zlib';
import {
  HISI_ACC_VFIO_PCI,
  hisiAccVfioPciDriver,
  hisiQmPfPciDriver,
  qmPciBoardAttach,
} from '@vfio-sim/hisi-acc-vfio-pci';
import { IOMMU_HWPT_ALLOC_DIRTY_TRACKING, IommufdClient, IommuHw, openIommufd } from '@vfio-sim/iommufd';
import { GuestMemory, Prng, Process, UserMemory, VirtualClock } from '@vfio-sim/platform';
import { GuestVfDriver, QM_SQE_OP_ZIP_DEFLATE, QmDevice } from '@vfio-sim/qm-hw';
import { PciHost, VFIO_PCI_BAR2_REGION_INDEX, Vfio } from '@vfio-sim/vfio-core';
import { describe, expect, it } from 'vitest';

describe('a hisi VF through the vfio device cdev bound to iommufd (QEMU 9.x style)', () => {
  it('the guest driver runs ZIP jobs with DMA through the SMMU domain; the HWPT reports the pages written', () => {
    const clock = new VirtualClock();
    const device = new QmDevice({ kind: 'zip', clock });
    const host = new PciHost('h');
    host.pciDriverRegister(hisiQmPfPciDriver('zip'));
    host.pciDriverRegister(hisiAccVfioPciDriver);
    const smmu = new IommuHw({ format: 'arm-smmuv3-s1' });
    const pf = qmPciBoardAttach(host, device, '0000:75:00.0', { iommu: smmu });
    host.probe(pf);
    host.sriovConfigure(pf, 1);
    const vf = host.get('0000:75:00.1');
    host.setDriverOverride(vf, HISI_ACC_VFIO_PCI);
    host.probe(vf);

    const mm = new UserMemory();
    const qemu = new Process(mm, 'qemu');
    const ram = new GuestMemory(16 << 20);
    const ramVa = mm.mmap(ram);
    const iommufdFd = qemu.install(openIommufd());
    const iommufd = new IommufdClient(qemu, iommufdFd);
    const dev = Vfio.of(host).openDeviceCdev(qemu, vf.name);
    const devId = dev.bindIommufd(iommufdFd);
    const ioas = iommufd.ioasAlloc();
    // 4 KiB leaves (IOMMU_OPTION_HUGE_PAGES off): a dirty 2 MiB leaf would report all 512 of its pages.
    iommufd.setHugePages(ioas, false);
    iommufd.ioasMap(ioas, ramVa, ram.size, { iova: 0 });
    const hwpt = iommufd.hwptAlloc(devId, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
    expect(dev.attachIommufdPt(hwpt)).toBe(hwpt);
    iommufd.setDirtyTracking(hwpt, true);

    const guest = GuestVfDriver.probe({
      bar2: dev.mmap(VFIO_PCI_BAR2_REGION_INDEX, 0x8000),
      memory: ram,
      clock,
    });
    device.vfs[0]!.setInterruptHandler((v) => guest.handleInterrupt(v));
    const input = new Prng(5).fill(new Uint8Array(8192)).map((b) => 97 + (b & 3));
    guest.submit({ opcode: QM_SQE_OP_ZIP_DEFLATE, input });
    clock.runUntilIdle();
    expect(guest.completed.map((r) => r.output)).toEqual([new Uint8Array(deflateRawSync(input))]);

    const pages = ram.size / 4096;
    const bitmapVa = mm.alloc(pages / 8, 8);
    iommufd.getDirtyBitmap(hwpt, 0, ram.size, 4096, bitmapVa);
    const bitmap = mm.copyFromUser(bitmapVa, pages / 8);
    let dirty = 0;
    for (const b of bitmap) for (let i = 0; i < 8; i++) dirty += (b >> i) & 1;
    // The device wrote its output buffer, the CQE, the EQE and the context write-backs: a few pages, not all.
    expect(dirty).toBeGreaterThan(0);
    expect(dirty).toBeLessThan(64);
    expect(device.vfs[0]!.snapshot().transient.faults).toEqual([]);
  });
});
