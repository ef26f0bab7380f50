import { errnoOf, VirtualClock } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { vfVm } from '../__fixtures__/vf-guest.js';
import type { VfioPciDevice } from '../devices/vfio-pci-device.js';
import { createHost } from '../host/host.js';
import { Vm } from './vm.js';

const host = () => createHost({ name: 'h', clock: new VirtualClock(), numVfs: 1 });
const options = () => ({ name: 'g', host: host(), memorySize: 1 << 20 });
/** A VM with `n` device lines (placeholders: only the line bookkeeping is under test). */
function withLines(vm: Vm, n: number): Vm {
  for (let i = 0; i < n; i++) vm.addDevice({ isRealized: true } as VfioPciDevice);
  return vm;
}

describe('Vm', () => {
  it('delivers interrupts while running and queues them, in order, while stopped', () => {
    const vm = withLines(Vm.create(options()), 2);
    const seen: string[] = [];
    vm.setInterruptHandler(0, (v) => seen.push(`0:${v}`));
    vm.setInterruptHandler(1, (v) => seen.push(`1:${v}`));
    vm.raiseIrq(0, 0);
    vm.stop();
    vm.raiseIrq(1, 1);
    vm.raiseIrq(0, 0);
    expect(seen).toEqual(['0:0']);
    expect(vm.pendingIrqs).toEqual([
      { line: 1, vector: 1 },
      { line: 0, vector: 0 },
    ]);
    vm.start();
    expect(seen).toEqual(['0:0', '1:1', '0:0']);
    expect(vm.pendingIrqs).toEqual([]);
  });

  it('queues interrupts of a line without a handler, and delivers them once one is installed', () => {
    const vm = withLines(Vm.create(options()), 2);
    vm.raiseIrq(0, 2);
    vm.raiseIrq(1, 3);
    const seen: number[] = [];
    vm.setInterruptHandler(1, (v) => seen.push(v));
    vm.start();
    expect(seen).toEqual([3]);
    expect(vm.pendingIrqs).toEqual([{ line: 0, vector: 2 }]);
    vm.setInterruptHandler(0, (v) => seen.push(v));
    vm.start();
    expect(seen).toEqual([3, 2]);
  });

  it('the pending queue travels with the vCPU state to an incoming VM', () => {
    const src = withLines(Vm.create(options()), 1);
    src.stop();
    src.raiseIrq(0, 0);
    src.raiseIrq(0, 1);
    const dst = withLines(Vm.incoming(options()), 1);
    expect(dst.isRunning).toBe(false);
    dst.raiseIrq(0, 2); // raised on the destination before the state arrived
    dst.loadVcpu(src.saveVcpu());
    const seen: number[] = [];
    dst.setInterruptHandler(0, (v) => seen.push(v));
    dst.start();
    expect(seen).toEqual([0, 1, 2]);
  });

  it('refuses to save or load vCPU state while running (EBUSY, nothing changed)', () => {
    const vm = withLines(Vm.create(options()), 1);
    vm.raiseIrq(0, 3);
    expect(errnoOf(() => vm.saveVcpu())).toBe('EBUSY');
    expect(errnoOf(() => vm.loadVcpu({ pendingIrqs: [{ line: 0, vector: 1 }] }))).toBe('EBUSY');
    expect(vm.pendingIrqs).toEqual([{ line: 0, vector: 3 }]);
    expect(vm.isRunning).toBe(true);
  });

  it('runs in its own QEMU process on its host; quit closes every fd and frees its devices', () => {
    const h = host();
    const { vm, vf } = vfVm(h, 1 << 20);
    expect(vm.process.name).toBe('qemu-g@h');
    expect(vm.clock).toBe(h.clock);
    expect(vm.devices).toEqual([vf]);
    expect(h.assignable[0]!.owner).toBe('g');
    expect(vm.process.openFds().length).toBe(2); // /dev/iommu and the VF's cdev
    expect(vm.process.mm.resolve(vm.ramVa, 1 << 20).memory).toBe(vm.memory); // RAM mapped in QEMU
    vm.memory.fill(0x4000, 3 * 4096, 0x5a);
    expect(vm.memory.hostBytes()).toBeGreaterThan(0);
    vm.quit();
    // QEMU's exit gives guest RAM back: unmapped from the process, its host memory released
    expect(errnoOf(() => vm.process.mm.resolve(vm.ramVa, 4096))).toBe('EFAULT');
    expect(vm.process.mm.heapStats().mappings).toBe(0);
    expect([vm.memory.hostBytes(), vm.memory.touchedBytes()]).toEqual([0, 0]);
    expect(vm.hasQuit).toBe(true);
    expect(vm.isRunning).toBe(false);
    expect(vm.devices).toEqual([]);
    expect(vm.process.openFds()).toEqual([]);
    expect(h.assignable[0]!.owner).toBeUndefined();
    vm.quit(); // idempotent
    expect(errnoOf(() => vm.addDevice(vf))).toBe('ESRCH');
    // the VF can be passed through again
    const again = vfVm(h, 1 << 20, 'again');
    expect(again.vf.handle.getInfo().numRegions).toBeGreaterThan(9);
  });

  it('maps guest RAM into the IOMMU with huge leaves by default, 4 KiB leaves when asked (HUGE_PAGES = 0)', () => {
    const h = host();
    const huge = vfVm(h, 64 << 20, 'huge');
    expect(huge.vm.iommuHugePages).toBe(true);
    const hwptLeaves = (vm: Vm) => {
      const dev = vm.devices[0]!.host.dma!.iommu;
      return dev.domain!.pgtable.leaves().map((l) => l.size);
    };
    expect(new Set(hwptLeaves(huge.vm))).toEqual(new Set([2 << 20])); // 32 leaves of 2 MiB
    huge.vm.quit();
    const small = vfVm(h, 64 << 20, 'small', { iommuHugePages: false });
    expect(small.vm.iommuHugePages).toBe(false);
    expect(hwptLeaves(small.vm)).toHaveLength(16384);
    expect(new Set(hwptLeaves(small.vm))).toEqual(new Set([4096]));
  });
});
