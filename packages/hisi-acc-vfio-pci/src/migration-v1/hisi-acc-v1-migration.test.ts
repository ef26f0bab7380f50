import { errnoOf } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import {
  expectGuestKeepsWorking,
  expectJobsSurviveMigration,
  expectNoRegisterAccessWhileRunning,
  submitZipJobs,
} from '../__fixtures__/migration-checks.js';
import { migrateV1, migrationPair, v1Client } from '../__fixtures__/testbed.js';

describe('v1 live migration of a VF running ZIP jobs', () => {
  it('jobs in flight at the stop finish on the destination: none lost, none repeated, outputs correct', () => {
    expectJobsSurviveMigration(migrateV1, 7);
  });

  it('the source never touches the VF registers while the guest may run', () => {
    expectNoRegisterAccessWhileRunning(migrateV1, 1);
  });

  it('a cancelled migration after stop-and-copy leaves the source running with working queues', () => {
    const { clock, src, vm, srcDev } = migrationPair();
    const s = v1Client(src);
    const inputs = submitZipJobs(vm, 3, 6);
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
    expectGuestKeepsWorking(vm, inputs, 4, 3);
    expect(errnoOf(() => s.deviceState())).toBeUndefined();
    expect(s.deviceState()).toBe(1);
  });
});
