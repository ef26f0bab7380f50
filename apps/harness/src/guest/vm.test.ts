import { errnoOf, VirtualClock } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { Vm } from './vm.js';

const options = () => ({ name: 'g', clock: new VirtualClock(), memorySize: 1 << 20 });

describe('Vm', () => {
  it('delivers interrupts while running and queues them, in order, while stopped', () => {
    const vm = Vm.create(options());
    const seen: number[] = [];
    vm.setInterruptHandler((v) => seen.push(v));
    vm.raiseIrq(0);
    vm.stop();
    vm.raiseIrq(1);
    vm.raiseIrq(0);
    expect(seen).toEqual([0]);
    expect(vm.pendingIrqs).toEqual([1, 0]);
    vm.start();
    expect(seen).toEqual([0, 1, 0]);
    expect(vm.pendingIrqs).toEqual([]);
  });

  it('queues interrupts raised before the guest installed a handler', () => {
    const vm = Vm.create(options());
    vm.raiseIrq(2);
    const seen: number[] = [];
    vm.setInterruptHandler((v) => seen.push(v));
    vm.start();
    expect(seen).toEqual([2]);
  });

  it('the pending queue travels with the vCPU state to an incoming VM', () => {
    const src = Vm.create(options());
    src.stop();
    src.raiseIrq(0);
    src.raiseIrq(1);
    const dst = Vm.incoming(options());
    expect(dst.isRunning).toBe(false);
    dst.raiseIrq(2); // raised on the destination before the state arrived
    dst.loadVcpu(src.saveVcpu());
    const seen: number[] = [];
    dst.setInterruptHandler((v) => seen.push(v));
    dst.start();
    expect(seen).toEqual([0, 1, 2]);
  });

  it('refuses to save or load vCPU state while running (EBUSY, nothing changed)', () => {
    const vm = Vm.create(options());
    vm.raiseIrq(3);
    expect(errnoOf(() => vm.saveVcpu())).toBe('EBUSY');
    expect(errnoOf(() => vm.loadVcpu({ pendingIrqs: [1] }))).toBe('EBUSY');
    expect(vm.pendingIrqs).toEqual([3]);
    expect(vm.isRunning).toBe(true);
  });
});
