import { errnoOf, VirtualClock } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { vfGuest, vfVm } from '../../__fixtures__/vf-guest.js';
import { DeviceDmaPort } from '../../devices/device-dma-port.js';
import { createHost } from '../../host/host.js';
import { IOMMU_FORMATS } from '../../host/host-iommu.js';
import { PageBitmap } from '../../vm/page-bitmap.js';
import { ZipWorkload } from '../../workload/zip-workload.js';
import { DirtySync, type DirtySyncOptions } from './dirty-sync.js';

function setup(format: (typeof IOMMU_FORMATS)[number], sources?: DirtySyncOptions['sources']) {
  const clock = new VirtualClock();
  const host = createHost({ name: 'h', clock, kind: 'zip', numVfs: 1, iommu: format });
  const { vm, vf } = vfVm(host, 4 << 20);
  const dma = new DeviceDmaPort(vf.host.dma!.iommu.dmaPort, vm.dirtyLog); // what the VF DMAs through
  const sync = new DirtySync({ vm, ...(sources ? { sources } : {}) });
  return { vm, dma, sync, host, vf };
}

describe('DirtySync', () => {
  it.each(IOMMU_FORMATS)('%s: tells CPU writes from DMA writes, reads and clears both', (format) => {
    const { vm, dma, sync } = setup(format);
    vm.memory.writeU32(0x1000, 1); // before tracking: not reported
    dma.writeU32(0x2000, 1);
    sync.start();
    vm.memory.writeU32(0x5000, 1);
    dma.writeU32(0x9000, 2);
    dma.write(0xc000, Uint8Array.of(1));
    vm.memory.writeU8(0xc001, 1); // page 12: both
    const into = new PageBitmap(1024);
    expect(sync.sync(into)).toEqual({ cpuDirtyPages: 2, dmaDirtyPages: 2, bothDirtyPages: 1 });
    expect(into.toArray()).toEqual([5, 9, 12]);
    expect(sync.cpu.toArray()).toEqual([5, 12]);
    expect(sync.dma.toArray()).toEqual([9, 12]);
    const again = new PageBitmap(1024);
    expect(sync.sync(again)).toEqual({ cpuDirtyPages: 0, dmaDirtyPages: 0, bothDirtyPages: 0 });
    expect(again.count()).toBe(0);
  });

  it('peekIommu reads without clearing (NO_CLEAR): the next sync still finds the page', () => {
    const { dma, sync } = setup('amd-v1');
    sync.start();
    dma.writeU16(0x3_0000, 7);
    const peek = new PageBitmap(1024);
    sync.peekIommu(peek);
    expect(peek.toArray()).toEqual([0x30]);
    const into = new PageBitmap(1024);
    expect(sync.sync(into).dmaDirtyPages).toBe(1);
  });

  it('a source switched off reports nothing (the VMM that forgets it)', () => {
    const { vm, dma, sync } = setup('vtd-ss', { iommu: false, cpu: false });
    sync.start();
    vm.memory.writeU32(0x5000, 1);
    dma.writeU32(0x9000, 2);
    const into = new PageBitmap(1024);
    expect(sync.sync(into)).toEqual({ cpuDirtyPages: 0, dmaDirtyPages: 0, bothDirtyPages: 0 });
    expect(vm.dirtyLog.isLogging).toBe(false);
  });

  it('stop disarms both: later writes are not reported', () => {
    const { vm, dma, sync } = setup('vtd-ss');
    sync.start();
    sync.stop();
    expect(vm.dirtyLog.isLogging).toBe(false);
    vm.memory.writeU32(0x5000, 1);
    dma.writeU32(0x9000, 2);
    expect(sync.sync(new PageBitmap(1024))).toEqual({
      cpuDirtyPages: 0,
      dmaDirtyPages: 0,
      bothDirtyPages: 0,
    });
  });

  it('a HWPT without dirty tracking cannot start (EOPNOTSUPP): the CPU log stays off', () => {
    const clock = new VirtualClock();
    const host = createHost({ name: 'h', clock, kind: 'zip', numVfs: 1, iommuDirtyTracking: false });
    const { vm, vf } = vfVm(host, 4 << 20);
    expect(vf.iommufd!.hwpt.dirtyTracking).toBe(false);
    const sync = new DirtySync({ vm });
    expect(errnoOf(() => sync.start())).toBe('EOPNOTSUPP');
    expect(vm.dirtyLog.isLogging).toBe(false);
  });
});

describe('DirtySync on a guest running ZIP jobs', () => {
  it('input buffers are CPU-dirty, output buffers and completions DMA-dirty; the SQ ring page is both', () => {
    const clock = new VirtualClock();
    const host = createHost({ name: 'h', clock, kind: 'zip', numVfs: 1 });
    const { vm, driver } = vfGuest(host, 64 << 20);
    const workload = new ZipWorkload({ seed: 1 });
    workload.watch(driver, 'source');
    const sync = new DirtySync({ vm });
    sync.start();
    workload.submit(driver, 'source', 6);
    clock.runUntilIdle();
    sync.sync(new PageBitmap(vm.memory.size / 4096));
    const L = driver.layout;
    const page = (gpa: number) => Math.floor(gpa / 4096);
    const inputs = [0, 1, 2, 3, 4, 5].map((slot) => page(L.buffers + slot * L.bufferStride));
    const outputs = [0, 1, 2, 3, 4, 5].map((slot) => page(L.buffers + slot * L.bufferStride + L.bufferSize));
    for (const p of inputs) expect([sync.cpu.test(p), sync.dma.test(p)]).toEqual([true, false]);
    for (const p of outputs) expect([sync.cpu.test(p), sync.dma.test(p)]).toEqual([false, true]);
    expect(sync.dma.test(page(L.cqe))).toBe(true); // CQEs
    expect(sync.cpu.test(page(L.cqe))).toBe(false);
    // the guest writes SQEs, the engine writes its status back into them
    expect([sync.cpu.test(page(L.sqe)), sync.dma.test(page(L.sqe))]).toEqual([true, true]);
  });
});
