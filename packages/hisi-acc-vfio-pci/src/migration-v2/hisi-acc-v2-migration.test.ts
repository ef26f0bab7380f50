import {
  VFIO_DEVICE_STATE_PRE_COPY as PRE_COPY,
  VFIO_DEVICE_STATE_RUNNING as RUNNING,
  VFIO_DEVICE_STATE_STOP as STOP,
} from '@vfio-sim/migration-v2';
import { QM_SQE_STATUS_OK } from '@vfio-sim/qm-hw';
import { describe, expect, it } from 'vitest';
import {
  expectedDeflate,
  migrateV2,
  migrationPair,
  ZIP_DEFLATE,
  zipInputs,
} from '../__fixtures__/testbed.js';

describe('v2 live migration of a VF running ZIP jobs (PRE_COPY + STOP_COPY, QEMU v2 client)', () => {
  it('jobs in flight at the stop finish on the destination: none lost, none repeated, outputs equal node:zlib', () => {
    const { clock, src, dst, vm, srcDev, dstDev } = migrationPair();
    const inputs = zipInputs(17, 24, 16 << 10);
    const ids = inputs.map((input) => vm.driver!.submit({ opcode: ZIP_DEFLATE, input }));
    clock.runUntil(clock.now() + 30);
    const doneOnSource = vm.driver!.completed.length;
    expect(doneOnSource).toBeGreaterThan(0);
    expect(doneOnSource).toBeLessThan(inputs.length);

    const { dstVm, src: s, dst: d } = migrateV2(vm, src, dst);
    clock.runUntilIdle();

    expect(s.initialDataSent).toBe(true);
    expect(d.switchoverApproved).toBe(true);
    expect(src.handle.getMigState()).toBe(STOP); // the source stays stopped (POSTMIGRATE)
    expect(dst.handle.getMigState()).toBe(RUNNING);
    expect(srcDev.savingMigf).toBeUndefined();
    expect(dstDev.resumingMigf).toBeUndefined();
    expect(src.process.openFds()).toEqual([src.handle.fd]);

    const all = [...vm.driver!.completed, ...dstVm.driver!.completed];
    expect(all.map((r) => r.jobId).sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b));
    for (const r of all) {
      expect(r.status).toBe(QM_SQE_STATUS_OK);
      expect(r.output).toEqual(expectedDeflate(inputs[ids.indexOf(r.jobId)]!));
    }
    expect(dstVm.driver!.completed.length).toBeGreaterThan(0);
    const more = zipInputs(18, 4);
    for (const input of more) dstVm.driver!.submit({ opcode: ZIP_DEFLATE, input });
    clock.runUntilIdle();
    expect(dstVm.driver!.completed.slice(-4).map((r) => r.output)).toEqual(more.map(expectedDeflate));
  });

  it('the source touches the VF registers only once the guest is stopped (window gating)', () => {
    const { clock, src, dst, vm, srcDev } = migrationPair();
    for (const input of zipInputs(2, 4)) vm.driver!.submit({ opcode: ZIP_DEFLATE, input });
    let accessesWhileRunning = -1;
    let stateBeforeStop = -1;
    migrateV2(vm, src, dst, {
      beforeStop: () => {
        accessesWhileRunning = srcDev.window.accesses;
        stateBeforeStop = src.handle.getMigState();
      },
    });
    clock.runUntilIdle();
    expect(stateBeforeStop).toBe(PRE_COPY);
    expect(accessesWhileRunning).toBe(0);
    expect(srcDev.window.accesses).toBeGreaterThan(0);
    expect(srcDev.window.refused).toBe(0);
  });

  it('the pre-copy data is the 40-byte match data; the stop-copy data completes the 176-byte acc_vf_data', () => {
    const { src, vm } = migrationPair();
    for (const input of zipInputs(3, 2)) vm.driver!.submit({ opcode: ZIP_DEFLATE, input });
    src.clock.runUntilIdle();
    expect(src.handle.getMigDataSize()).toBe(176);
    const fd = src.handle.setMigState(PRE_COPY)!;
    const { process } = src;
    const buf = process.mm.alloc(256, 8);
    expect(process.read(fd, buf, 256)).toBe(40);
    expect(process.read(fd, buf, 256)).toBe(0); // temporary end: 0, not ENOMSG (as hisi_acc)
    vm.stop();
    src.handle.setMigState(3);
    expect(process.read(fd, buf, 256)).toBe(136);
    expect(process.read(fd, buf, 256)).toBe(0);
    process.close(fd);
  });
});
