import { errnoOf, VirtualClock } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { vfGuest, vfVm } from '../../__fixtures__/vf-guest.js';
import { DeviceDmaPort } from '../../devices/device-dma-port.js';
import { createHost } from '../../host/host.js';
import { IOMMU_FORMATS } from '../../host/host-iommu.js';
import { PageBitmap } from '../../vm/page-bitmap.js';
import { ZipWorkload } from '../../workload/zip-workload.js';
import { DIRTY_READ_WINDOW, DirtySync, type DirtySyncOptions } from './dirty-sync.js';

/** A 4 MiB guest with its VF, RAM in 4 KiB IOMMU leaves unless `iommuHugePages`, and its dirty sync. */
function setup(
  format: (typeof IOMMU_FORMATS)[number],
  sources?: DirtySyncOptions['sources'],
  iommuHugePages = false,
) {
  const clock = new VirtualClock();
  const host = createHost({ name: 'h', clock, kind: 'zip', numVfs: 1, iommu: format });
  const { vm, vf } = vfVm(host, 4 << 20, 'g', { iommuHugePages });
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

describe('DirtySync with huge IOMMU leaves (the default)', () => {
  it.each(IOMMU_FORMATS)(
    '%s: a DMA write reports every populated page of its 2 MiB leaf, never a page RAM does not hold',
    (format) => {
      const { vm, dma, sync } = setup(format, undefined, true);
      for (const pfn of [0x10, 0x1ff, 0x200]) vm.memory.writeU8(pfn * 4096, 1); // leaf 0: 2 pages, leaf 1: 1
      sync.start();
      dma.writeU32(0x30 * 4096, 2); // leaf 0
      const into = new PageBitmap(1024);
      expect(sync.sync(into)).toEqual({ cpuDirtyPages: 0, dmaDirtyPages: 3, bothDirtyPages: 0 });
      expect(into.toArray()).toEqual([0x10, 0x30, 0x1ff]);
      expect(sync.sync(new PageBitmap(1024)).dmaDirtyPages).toBe(0); // read and cleared
    },
  );

  it('a 1 GiB leaf reports its populated pages: a DMA write at 1.5 GiB in a 2 GiB guest', () => {
    const clock = new VirtualClock();
    const host = createHost({ name: 'h', clock, kind: 'zip', numVfs: 1, iommu: 'vtd-ss' });
    const { vm, vf } = vfVm(host, 2 ** 31);
    const dma = new DeviceDmaPort(vf.host.dma!.iommu.dmaPort, vm.dirtyLog);
    const sizes = vf.host.dma!.iommu.domain!.pgtable.leaves().map((l) => l.size);
    expect(sizes).toEqual([1 << 30, 1 << 30]);
    const gib = (1 << 30) / 4096;
    for (const pfn of [5, gib + 1, 2 * gib - 1]) vm.memory.writeU8(pfn * 4096, 1);
    const sync = new DirtySync({ vm });
    sync.start();
    dma.writeU32(1.5 * (1 << 30), 3);
    const into = new PageBitmap(2 * gib);
    expect(sync.sync(into).dmaDirtyPages).toBe(3);
    expect(into.toArray()).toEqual([gib + 1, 1.5 * gib, 2 * gib - 1]);
  });

  it('reads the IOMMU only over the 1 GiB windows holding RAM, with one 32 KiB bitmap: a 1 TiB guest costs what it holds', () => {
    const clock = new VirtualClock();
    const host = createHost({ name: 'h', clock, kind: 'zip', numVfs: 1 });
    const { vm, vf } = vfVm(host, 2 ** 40);
    const dma = new DeviceDmaPort(vf.host.dma!.iommu.dmaPort, vm.dirtyLog);
    const heapBefore = vm.process.mm.heapStats().used;
    const sync = new DirtySync({ vm });
    expect(sync.heapBytes).toBe(DIRTY_READ_WINDOW / 4096 / 8);
    expect(vm.process.mm.heapStats().used).toBe(heapBefore + sync.heapBytes);
    vm.memory.fill(0, 8 << 20, 1); // 8 MiB at 0
    vm.memory.writeU8(700 * DIRTY_READ_WINDOW + 4096, 1); // one page in window 700
    const reads: number[] = [];
    const get = vm.iommufd!.client.getDirtyBitmap.bind(vm.iommufd!.client);
    vm.iommufd!.client.getDirtyBitmap = (hwpt, iova, length, ...rest) => {
      reads.push(iova / DIRTY_READ_WINDOW, length);
      get(hwpt, iova, length, ...rest);
    };
    sync.start();
    vm.memory.writeU32(0x1000, 1);
    dma.writeU32(700 * DIRTY_READ_WINDOW + 8192, 1);
    const into = new PageBitmap(vm.memory.size / 4096);
    expect(sync.sync(into)).toEqual({ cpuDirtyPages: 1, dmaDirtyPages: 2, bothDirtyPages: 0 });
    expect(reads).toEqual([0, DIRTY_READ_WINDOW, 700, DIRTY_READ_WINDOW]);
    const w = 700 * (DIRTY_READ_WINDOW / 4096);
    expect(into.toArray()).toEqual([1, w + 1, w + 2]);
    // bitmaps sized by what RAM holds: a few chunks of 64 bytes, not 32 MiB
    expect(into.byteLength + sync.cpu.byteLength + sync.dma.byteLength).toBeLessThanOrEqual(10 * 64);
    expect(vm.dirtyLog.bitmap.byteLength).toBeLessThanOrEqual(64);
  });

  it('close gives the bitmap back to the QEMU heap; a closed sync refuses (EBADF) and stays closed', () => {
    const { vm, sync } = setup('amd-v1');
    const used = vm.process.mm.heapStats().used;
    expect(sync.heapBytes).toBeGreaterThan(0);
    sync.start();
    sync.sync(new PageBitmap(1024));
    sync.stop();
    sync.close();
    expect(sync.heapBytes).toBe(0);
    expect(vm.process.mm.heapStats().used).toBe(used - 128);
    expect(errnoOf(() => sync.sync(new PageBitmap(1024)))).toBe('EBADF');
    expect(errnoOf(() => sync.start())).toBe('EBADF');
    expect(vm.dirtyLog.isLogging).toBe(false);
    sync.close(); // idempotent
    expect(vm.process.mm.heapStats().used).toBe(used - 128);
  });
});

describe('DirtySync on a guest running ZIP jobs', () => {
  it('input buffers are CPU-dirty, output buffers and completions DMA-dirty; the SQ ring page is both', () => {
    const clock = new VirtualClock();
    const host = createHost({ name: 'h', clock, kind: 'zip', numVfs: 1 });
    const { vm, driver } = vfGuest(host, 64 << 20, 'g', { iommuHugePages: false }); // page by page
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
