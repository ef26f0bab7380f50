import { errnoOf } from '@vfio-sim/platform';
import { QM_SQE_STATUS_OK } from '@vfio-sim/qm-hw';
import { describe, expect, it } from 'vitest';
import {
  expectedDeflate,
  migrateV1,
  migrationPair,
  v1Client,
  ZIP_DEFLATE,
  zipInputs,
} from '../__fixtures__/testbed.js';

describe('v1 live migration of a VF running ZIP jobs', () => {
  it('jobs in flight at the stop finish on the destination: none lost, none repeated, outputs correct', () => {
    const { clock, src, dst, vm } = migrationPair();
    const inputs = zipInputs(7, 24, 16 << 10);
    const ids = inputs.map((input) => vm.driver!.submit({ opcode: ZIP_DEFLATE, input }));
    // Let part of the work finish on the source.
    clock.runUntil(clock.now() + 30);
    const doneOnSource = vm.driver!.completed.length;
    expect(doneOnSource).toBeGreaterThan(0);
    expect(doneOnSource).toBeLessThan(inputs.length);

    const { dstVm } = migrateV1(vm, src, dst);
    clock.runUntilIdle();

    const all = [...vm.driver!.completed, ...dstVm.driver!.completed];
    expect(all.map((r) => r.jobId).sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b));
    for (const r of all) {
      expect(r.status).toBe(QM_SQE_STATUS_OK);
      expect(r.output).toEqual(expectedDeflate(inputs[ids.indexOf(r.jobId)]!));
    }
    expect(dstVm.driver!.completed.length).toBeGreaterThan(0);
    // The destination keeps working after the migration.
    const more = zipInputs(8, 4);
    for (const input of more) dstVm.driver!.submit({ opcode: ZIP_DEFLATE, input });
    clock.runUntilIdle();
    expect(dstVm.driver!.completed.slice(-4).map((r) => r.output)).toEqual(more.map(expectedDeflate));
  });

  it('the source never touches the VF registers while the guest may run', () => {
    const { clock, src, dst, vm, srcDev } = migrationPair();
    for (const input of zipInputs(1, 4)) vm.driver!.submit({ opcode: ZIP_DEFLATE, input });
    let accessesWhileRunning = -1;
    migrateV1(vm, src, dst, {
      beforeStop: () => {
        accessesWhileRunning = srcDev.window.accesses;
      },
    });
    clock.runUntilIdle();
    expect(accessesWhileRunning).toBe(0);
    expect(srcDev.window.accesses).toBeGreaterThan(0);
    expect(srcDev.window.refused).toBe(0);
  });

  it('a cancelled migration after stop-and-copy leaves the source running with working queues', () => {
    const { clock, src, vm, srcDev } = migrationPair();
    const s = v1Client(src);
    const inputs = zipInputs(3, 6);
    for (const input of inputs) vm.driver!.submit({ opcode: ZIP_DEFLATE, input });
    s.setState(~0, 3);
    vm.stop();
    s.vmStop();
    expect(srcDev.paused).toBe(true);
    s.cancel();
    vm.start();
    clock.runUntilIdle();
    expect(srcDev.paused).toBe(false);
    expect(src.vfHw.paused).toBe(false);
    expect(srcDev.window.isMapped).toBe(false);
    const more = zipInputs(4, 3);
    for (const input of more) vm.driver!.submit({ opcode: ZIP_DEFLATE, input });
    clock.runUntilIdle();
    expect(vm.driver!.completed.map((r) => r.output)).toEqual([...inputs, ...more].map(expectedDeflate));
    expect(errnoOf(() => s.deviceState())).toBeUndefined();
    expect(s.deviceState()).toBe(1);
  });
});
