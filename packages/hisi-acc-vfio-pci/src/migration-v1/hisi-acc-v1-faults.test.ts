import { errnoOf } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import {
  expectGuestKeepsWorking,
  FAULTS_AT_STOP,
  faultTarget,
  submitZipJobs,
} from '../__fixtures__/migration-checks.js';
import { migrationPair, v1Client } from '../__fixtures__/testbed.js';

describe.each(FAULTS_AT_STOP)('a fault at the stop: %s', (_step, target, fault, errnos) => {
  it('the state write fails with the kernel errno and the source resumes with working queues', () => {
    const { src, vm, srcDev } = migrationPair();
    const inputs = submitZipJobs(vm, 21, 5);
    const s = v1Client(src);
    s.setState(~0, 3); // pre-copy
    const fn = faultTarget(src, target);
    fn.faults.inject(fault);
    vm.stop();
    const errno = errnoOf(() => s.vmStop());
    expect(errnos).toContain(errno);
    expect(s.deviceState()).toBe(3); // the failed arc left the previous state
    expect(srcDev.window.isMapped).toBe(false);
    expect(srcDev.paused).toBe(false);
    fn.faults.clear(fault.kind);
    s.cancel();
    vm.start();
    src.clock.runUntilIdle();
    expect(src.vfHw.paused).toBe(false);
    expectGuestKeepsWorking(vm, inputs, 22, 2);
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
