import { describe, expect, it } from 'vitest';
import {
  expectFailedStopLeavesSourceRunning,
  FAULTS_AT_STOP,
  submitZipJobs,
} from '../__fixtures__/migration-checks.js';
import { migrationPair, v1Client } from '../__fixtures__/testbed.js';

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
