import {
  VFIO_DEVICE_STATE_PRE_COPY as PRE_COPY,
  VFIO_DEVICE_STATE_RUNNING as RUNNING,
  VFIO_DEVICE_STATE_STOP as STOP,
  VFIO_DEVICE_STATE_STOP_COPY as STOP_COPY,
} from '@vfio-sim/migration-v2';
import { errnoOf } from '@vfio-sim/platform';
import { type QmFault, qmGetVftV2 } from '@vfio-sim/qm-hw';
import { describe, expect, it } from 'vitest';
import { expectedDeflate, migrationPair, ZIP_DEFLATE, zipInputs } from '../__fixtures__/testbed.js';

type Target = 'vf' | 'pf';
const FAULTS: readonly [step: string, target: Target, fault: QmFault, errnos: readonly string[]][] = [
  ['PAUSE_QM: mailbox stuck busy', 'vf', { kind: 'mb-stuck-busy' }, ['EBUSY', 'ETIMEDOUT']],
  ['PAUSE_QM: mailbox error status', 'vf', { kind: 'mb-error' }, ['EIO']],
  ['interrupt check: RAS pending on the PF', 'pf', { kind: 'ras-pending' }, ['EBUSY']],
  ['interrupt check: IFC pending on the VF', 'vf', { kind: 'ifc-pending' }, ['EBUSY']],
  ['interrupt check: engine busy', 'vf', { kind: 'engine-busy' }, ['EBUSY']],
  ['cache write-back never completes', 'vf', { kind: 'cache-wb-stuck' }, ['ETIMEDOUT']],
];

describe.each(FAULTS)('a fault at the stop: %s', (_step, target, fault, errnos) => {
  for (const [from, to] of [
    [PRE_COPY, STOP_COPY],
    [RUNNING, STOP],
    [RUNNING, STOP_COPY],
  ] as const) {
    it(`SET ${to} from ${from} fails with the kernel errno; state unchanged; the source resumes with working queues`, () => {
      const { src, vm, srcDev } = migrationPair();
      const inputs = zipInputs(41, 5);
      for (const input of inputs) vm.driver!.submit({ opcode: ZIP_DEFLATE, input });
      const fd = from === PRE_COPY ? src.handle.setMigState(PRE_COPY) : undefined;
      const fn = target === 'vf' ? src.vfHw : src.device.pf;
      fn.faults.inject(fault);
      vm.stop();
      const errno = errnoOf(() => src.handle.setMigState(to));
      expect(errnos).toContain(errno);
      expect(src.handle.getMigState()).toBe(from); // RUNNING → STOP is the failing first arc
      expect(srcDev.window.isMapped).toBe(false);
      expect(srcDev.paused).toBe(false);
      if (fd !== undefined) expect(srcDev.savingMigf?.totalLength).toBe(40); // the session is intact
      fn.faults.clear(fault.kind);
      src.handle.setMigState(RUNNING);
      if (fd !== undefined) src.process.close(fd);
      vm.start();
      src.clock.runUntilIdle();
      expect(src.vfHw.paused).toBe(false);
      const more = zipInputs(42, 2);
      for (const input of more) vm.driver!.submit({ opcode: ZIP_DEFLATE, input });
      src.clock.runUntilIdle();
      expect(vm.driver!.completed.map((r) => r.output)).toEqual([...inputs, ...more].map(expectedDeflate));
    });
  }
});

describe('an aborted migration after a successful stop (defect J fixed)', () => {
  it('STOP_COPY → STOP → RUNNING restarts the paused VF; its queues work', () => {
    const { src, vm, srcDev } = migrationPair();
    const inputs = zipInputs(43, 6);
    for (const input of inputs) vm.driver!.submit({ opcode: ZIP_DEFLATE, input });
    const fd = src.handle.setMigState(PRE_COPY)!;
    vm.stop();
    src.handle.setMigState(STOP_COPY);
    expect(srcDev.paused).toBe(true);
    expect(srcDev.window.isMapped).toBe(true);
    src.handle.setMigState(RUNNING);
    expect(srcDev.paused).toBe(false);
    expect(srcDev.window.isMapped).toBe(false);
    expect(errnoOf(() => src.process.read(fd, src.process.mm.alloc(8), 8))).toBe('ENODEV');
    src.process.close(fd);
    vm.start();
    src.clock.runUntilIdle();
    const more = zipInputs(44, 3);
    for (const input of more) vm.driver!.submit({ opcode: ZIP_DEFLATE, input });
    src.clock.runUntilIdle();
    expect(vm.driver!.completed.map((r) => r.output)).toEqual([...inputs, ...more].map(expectedDeflate));
  });
});

describe('a failed restore after registers were written', () => {
  it('leaves the device in ERROR; every SET is EINVAL; VFIO_DEVICE_RESET returns it to RUNNING', () => {
    const { src, dst, vm } = migrationPair();
    for (const input of zipInputs(45, 2)) vm.driver!.submit({ opcode: ZIP_DEFLATE, input });
    src.clock.runUntilIdle();
    const sfd = src.handle.setMigState(PRE_COPY)!;
    vm.stop();
    src.handle.setMigState(STOP_COPY);
    const buf = src.process.mm.alloc(256, 8);
    const n = src.process.read(sfd, buf, 256);
    expect(n).toBe(176);
    dst.handle.setMigState(STOP);
    const dfd = dst.handle.setMigState(4)!;
    // Stream bytes go from the source VMM to the destination VMM's memory.
    const dbuf = dst.process.mm.alloc(256, 8);
    dst.process.mm.copyToUser(dbuf, src.process.mm.copyFromUser(buf, n));
    expect(dst.process.write(dfd, dbuf, n)).toBe(176);
    // The mailbox answers the busy-wait but fails the SQC_BT write.
    dst.vfHw.faults.inject({ kind: 'mb-error' });
    expect(errnoOf(() => dst.handle.setMigState(STOP))).toBe('EIO');
    expect(dst.handle.getMigState()).toBe(0);
    expect(errnoOf(() => dst.handle.setMigState(RUNNING))).toBe('EINVAL');
    dst.vfHw.faults.clear('mb-error');
    dst.handle.reset();
    expect(dst.handle.getMigState()).toBe(RUNNING);
    expect(dst.hdev.window.isMapped).toBe(false);
    expect(errnoOf(() => dst.process.write(dfd, dbuf, 1))).toBe('ENODEV');
  });

  it('a mailbox that is not ready before the restore is EBUSY and leaves RESUMING (nothing written)', () => {
    const { src, dst, vm } = migrationPair();
    for (const input of zipInputs(46, 2)) vm.driver!.submit({ opcode: ZIP_DEFLATE, input });
    src.clock.runUntilIdle();
    const sfd = src.handle.setMigState(PRE_COPY)!;
    vm.stop();
    src.handle.setMigState(STOP_COPY);
    const buf = src.process.mm.alloc(256, 8);
    const n = src.process.read(sfd, buf, 256);
    dst.handle.setMigState(STOP);
    const dfd = dst.handle.setMigState(4)!;
    const dbuf = dst.process.mm.alloc(256, 8);
    dst.process.mm.copyToUser(dbuf, src.process.mm.copyFromUser(buf, n));
    dst.process.write(dfd, dbuf, n);
    // A mailbox command that never completes leaves the busy bit set.
    dst.vfHw.faults.inject({ kind: 'mb-stuck-busy' });
    expect(errnoOf(() => qmGetVftV2(dst.hdev.vfQm))).toBeDefined();
    const before = dst.vfHw.snapshot().state;
    expect(errnoOf(() => dst.handle.setMigState(STOP))).toBe('EBUSY');
    expect(dst.handle.getMigState()).toBe(4);
    expect(dst.vfHw.snapshot().state).toEqual(before);
    expect(dst.hdev.resumingMigf?.totalLength).toBe(176); // the session is intact
  });
});
