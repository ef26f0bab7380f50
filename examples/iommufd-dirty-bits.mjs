// Read a device's DMA dirty bits through iommufd, as a VMM does during pre-copy: a HiSilicon ZIP VF
// behind an SMMUv3, bound through its vfio cdev to iommufd, a dirty-tracking HWPT over guest RAM, one
// compression job run by the guest's driver — then IOMMU_HWPT_GET_DIRTY_BITMAP says which pages it wrote.
//
// @ts-check
// Uses: @vfio-sim/hisi-acc-vfio-pci, @vfio-sim/iommufd, @vfio-sim/qm-hw, @vfio-sim/vfio-core, @vfio-sim/platform.
import assert from 'node:assert/strict';
import {
  HISI_ACC_VFIO_PCI,
  hisiAccVfioPciDriver,
  hisiQmPfPciDriver,
  qmPciBoardAttach,
} from '@vfio-sim/hisi-acc-vfio-pci';
import { IOMMU_HWPT_ALLOC_DIRTY_TRACKING, IommufdClient, IommuHw, openIommufd } from '@vfio-sim/iommufd';
import { GuestMemory, PAGE_SIZE, Process, UserMemory, VirtualClock } from '@vfio-sim/platform';
import { GuestVfDriver, QM_SQE_OP_ZIP_DEFLATE, QmDevice } from '@vfio-sim/qm-hw';
import { PciHost, VFIO_PCI_BAR2_REGION_INDEX, Vfio } from '@vfio-sim/vfio-core';

// The host: a ZIP PF behind an SMMUv3, one VF bound to hisi-acc-vfio-pci.
const clock = new VirtualClock();
const qm = new QmDevice({ kind: 'zip', clock });
const host = new PciHost('host');
host.pciDriverRegister(hisiQmPfPciDriver('zip'));
host.pciDriverRegister(hisiAccVfioPciDriver);
const pf = qmPciBoardAttach(host, qm, '0000:75:00.0', { iommu: new IommuHw({ format: 'arm-smmuv3-s1' }) });
host.probe(pf);
host.sriovConfigure(pf, 1);
const vf = host.get('0000:75:00.1');
host.setDriverOverride(vf, HISI_ACC_VFIO_PCI);
host.probe(vf);

// The VMM: guest RAM mapped in its address space, /dev/iommu, the VF's cdev bound to it.
const vmm = new Process(new UserMemory(), 'qemu');
const ram = new GuestMemory(16 << 20);
const iommufdFd = vmm.install(openIommufd());
const iommufd = new IommufdClient(vmm, iommufdFd);
const dev = Vfio.of(host).openDeviceCdev(vmm, vf.name);
const devId = dev.bindIommufd(iommufdFd);
const ioas = iommufd.ioasAlloc();
iommufd.setHugePages(ioas, false); // 4 KiB leaves: one dirty bit per page, not per 2 MiB
iommufd.ioasMap(ioas, vmm.mm.mmap(ram), ram.size, { iova: 0 }); // IOVA = guest-physical address
const hwpt = iommufd.hwptAlloc(devId, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
dev.attachIommufdPt(hwpt);
iommufd.setDirtyTracking(hwpt, true); // starts clean

/** IOMMU_HWPT_GET_DIRTY_BITMAP over all of RAM (read and clear): the dirty page numbers. */
function dirtyPages() {
  const pages = ram.size / PAGE_SIZE;
  const bitmap = vmm.mm.alloc(pages / 8, 8);
  iommufd.getDirtyBitmap(hwpt, 0, ram.size, PAGE_SIZE, bitmap);
  const bytes = vmm.mm.copyFromUser(bitmap, pages / 8);
  return [...Array(pages).keys()].filter((p) => (bytes[p >> 3] ?? 0) & (1 << (p & 7)));
}

// The guest: its VF driver on BAR2 (the VMM's mmap of the functional half), one ZIP job.
const guest = GuestVfDriver.probe({ bar2: dev.mmap(VFIO_PCI_BAR2_REGION_INDEX, 0x8000), memory: ram, clock });
qm.vfs[0]?.setInterruptHandler((vector) => guest.handleInterrupt(vector));
ram.writeU32(0x80_0000, 1); // a CPU write: the IOMMU does not see it (that is the CPU dirty log's job)
guest.submit({ opcode: QM_SQE_OP_ZIP_DEFLATE, input: new TextEncoder().encode('dirty pages '.repeat(1000)) });
clock.runUntilIdle();
assert.equal(guest.completed.length, 1);

const dirty = dirtyPages();
console.log(`the device dirtied ${dirty.length} of ${ram.size / PAGE_SIZE} pages: ${dirty.join(', ')}`);
assert.ok(dirty.length > 0 && dirty.length < 64); // output buffer, CQE, EQE, context write-backs
assert.ok(!dirty.includes(0x80_0000 / PAGE_SIZE));
assert.deepEqual(dirtyPages(), []); // read-and-clear: nothing new since
