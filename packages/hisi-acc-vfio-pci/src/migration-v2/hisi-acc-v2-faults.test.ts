import {
  VFIO_DEVICE_STATE_PRE_COPY as PRE_COPY,
  VFIO_DEVICE_STATE_RUNNING as RUNNING,
  VFIO_DEVICE_STATE_STOP as STOP,
  VFIO_DEVICE_STATE_STOP_COPY as STOP_COPY,
} from '@vfio-sim/migration-v2';
import { errnoOf } from '@vfio-sim/platform';
import { qmGetVftV2 } from '@vfio-sim/qm-hw';
import { describe, expect, it } from 'vitest';
import {
  expectFailedStopLeavesSourceRunning,
  expectSourceResumed,
  expectVfStateKept,
  FAULTS_AT_STOP,
  submitZipJobs,
} from '../__fixtures__/migration-checks.js';
import { migrationPair } from '../__fixtures__/testbed.js';
import { stopCopyIntoResuming } from '../__fixtures__/v2-data.js';

describe.each(FAULTS_AT_STOP)('a fault at the stop: %s', (...faultAtStop) => {
  for (const [from, to] of [
    [PRE_COPY, STOP_COPY],
    [RUNNING, STOP],
    [RUNNING, STOP_COPY],
  ] as const) {
    it(`SET ${to} from ${from} fails with the kernel errno; state unchanged; the source resumes with working queues`, () => {
      const pair = migrationPair();
      const { src, srcDev } = pair;
      const inputs = submitZipJobs(pair.vm, 41, 5);
      const fd = from === PRE_COPY ? src.handle.setMigState(PRE_COPY) : undefined;
      expectFailedStopLeavesSourceRunning(
        pair,
        faultAtStop,
        {
          stop: () => src.handle.setMigState(to),
          unchanged: () => {
            expect(src.handle.getMigState()).toBe(from); // RUNNING → STOP is the failing first arc
            if (fd !== undefined) expect(srcDev.savingMigf?.totalLength).toBe(40); // the session is intact
          },
          backOut: () => {
            src.handle.setMigState(RUNNING);
            if (fd !== undefined) src.process.close(fd);
          },
        },
        inputs,
        42,
      );
    });
  }
});

describe('an aborted migration after a successful stop (defect J fixed)', () => {
  it('STOP_COPY → STOP → RUNNING restarts the paused VF; its queues work', () => {
    const { src, vm, srcDev } = migrationPair();
    const inputs = submitZipJobs(vm, 43, 6);
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
    expectSourceResumed({ src, vm }, inputs, 44, 3);
  });
});

describe('a failed restore after registers were written', () => {
  it('leaves the device in ERROR; every SET is EINVAL; VFIO_DEVICE_RESET returns it to RUNNING', () => {
    const { dst, read, written, dfd, dbuf } = stopCopyIntoResuming(45);
    expect(read).toBe(176);
    expect(written).toBe(176);
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
    const { dst } = stopCopyIntoResuming(46);
    // A mailbox command that never completes leaves the busy bit set.
    dst.vfHw.faults.inject({ kind: 'mb-stuck-busy' });
    expect(errnoOf(() => qmGetVftV2(dst.hdev.vfQm))).toBe('ETIMEDOUT'); // the command never completes
    const expectDstUnchanged = expectVfStateKept(dst);
    expect(errnoOf(() => dst.handle.setMigState(STOP))).toBe('EBUSY');
    expect(dst.handle.getMigState()).toBe(4);
    expectDstUnchanged();
    expect(dst.hdev.resumingMigf?.totalLength).toBe(176); // the session is intact
  });
});
