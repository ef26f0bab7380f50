import { QemuFileReader, QemuFileWriter } from '@vfio-sim/migration-v1';
import { errnoOf } from '@vfio-sim/platform';
import { qmGetVftV2 } from '@vfio-sim/qm-hw';
import { describe, expect, it } from 'vitest';
import {
  expectFailedStopLeavesSourceRunning,
  expectVfStateKept,
  FAULTS_AT_STOP,
  submitZipJobs,
} from '../__fixtures__/migration-checks.js';
import { migrationPair, v1Client, ZIP_DEFLATE, zipInputs } from '../__fixtures__/testbed.js';
import type { HisiAccVfCoreDevice } from '../core/hisi-acc-vf-core-device.js';

describe.each(FAULTS_AT_STOP)('a fault at the stop: %s', (...faultAtStop) => {
  it('the state write fails with the kernel errno and the source resumes with working queues', () => {
    const pair = migrationPair();
    const inputs = submitZipJobs(pair.vm, 21, 5);
    const s = v1Client(pair.src);
    s.setState(~0, 3); // pre-copy
    expectFailedStopLeavesSourceRunning(
      pair,
      faultAtStop,
      {
        stop: () => s.vmStop(),
        unchanged: () => expect(s.deviceState()).toBe(3), // the failed arc left the previous state
        backOut: () => s.cancel(),
      },
      inputs,
      22,
    );
  });
});

describe('a guest driver that never started', () => {
  it('stop-and-copy sends the 32-byte match data only', () => {
    const { src, vm } = migrationPair();
    src.vfHw.faults.inject({ kind: 'vf-not-ready' });
    const s = v1Client(src);
    s.setState(~0, 3);
    expect(s.savePending()).toBe(32);
    vm.stop();
    s.vmStop();
    expect(s.savePending()).toBe(32);
  });
});

describe('a fault at the restore (RESUMING → RUNNING)', () => {
  it('a mailbox that is not ready is EBUSY before anything is written: still RESUMING, then the restore works', () => {
    const { src, dst, vm, clock } = migrationPair();
    for (const input of zipInputs(47, 4)) vm.driver!.submit({ opcode: ZIP_DEFLATE, input });
    clock.runUntilIdle();
    const s = v1Client(src);
    const sections = [new QemuFileWriter(), new QemuFileWriter()];
    s.saveSetup(sections[0]!);
    vm.stop();
    s.vmStop();
    s.saveComplete(sections[1]!);
    const d = v1Client(dst);
    d.loadSetup();
    for (const w of sections) d.loadState(new QemuFileReader(w.toBytes()));
    // A mailbox command that never completes leaves the busy bit set.
    dst.vfHw.faults.inject({ kind: 'mb-stuck-busy' });
    expect(errnoOf(() => qmGetVftV2((dst.hdev as HisiAccVfCoreDevice).vfQm))).toBe('ETIMEDOUT');
    const expectDstUnchanged = expectVfStateKept(dst);
    expect(errnoOf(() => d.vmStart())).toBe('EBUSY');
    expect(d.deviceState()).toBe(4); // not the error state: nothing was lost
    expectDstUnchanged();
    dst.vfHw.faults.clear('mb-stuck-busy');
    d.vmStart();
    expect(d.deviceState()).toBe(1);
    expect(dst.vfHw.snapshot().state.sqcBt).toBe(src.vfHw.snapshot().state.sqcBt);
  });
});
