import { errnoOf, VirtualClock } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { vfGuest } from '../__fixtures__/vf-guest.js';
import { createHost } from '../host/host.js';
import { startJobStream } from './job-stream.js';
import { ZipWorkload } from './zip-workload.js';

function guest() {
  const clock = new VirtualClock();
  const host = createHost({ name: 'h', clock, kind: 'zip', numVfs: 1 });
  const { vm, driver } = vfGuest(host, 16 << 20);
  const workload = new ZipWorkload({ seed: 5 });
  workload.watch(driver, 'source');
  return { clock, vm, driver, workload };
}

describe('startJobStream', () => {
  it('submits one job per period while the vCPUs run, up to the limit; every job verifies', () => {
    const { clock, vm, driver, workload } = guest();
    const stream = startJobStream({ vm, driver, workload, side: 'source', periodUs: 7, limit: 40 });
    clock.runUntilIdle();
    expect(stream.submitted).toBe(40);
    expect(workload.tally().verified).toBe(40);
  });

  it('ends at the first tick after the vCPUs stop (the clock goes idle)', () => {
    const { clock, vm, driver, workload } = guest();
    const stream = startJobStream({ vm, driver, workload, side: 'source', periodUs: 10, limit: 1000 });
    clock.runUntil(clock.now() + 55);
    vm.stop();
    clock.runUntilIdle();
    expect(stream.submitted).toBe(5);
    expect(clock.nextEventTime()).toBeUndefined();
  });

  it('skips ticks while every job buffer is busy', () => {
    const { clock, vm, driver, workload } = guest();
    workload.submit(driver, 'source', 32); // every buffer busy
    const stream = startJobStream({ vm, driver, workload, side: 'source', periodUs: 1, limit: 8 });
    clock.runUntil(clock.now() + 2);
    expect(stream.skippedBusy).toBeGreaterThan(0);
    clock.runUntilIdle();
    expect(stream.submitted).toBe(8);
    expect(workload.tally().verified).toBe(40);
  });

  it('blocks while every buffer is busy and the device never completes: the clock goes idle, no spinning', () => {
    const { clock, vm, driver, workload } = guest();
    workload.submit(driver, 'source', 32);
    vm.host.qmFunction(0).flr(); // the VF's queues are gone under the driver: nothing completes again
    const stream = startJobStream({ vm, driver, workload, side: 'source', periodUs: 1, limit: 8 });
    const ran = clock.runUntilIdle();
    expect(ran).toBeLessThan(100);
    expect(stream).toMatchObject({ submitted: 0, skippedBusy: 1, ended: undefined });
  });

  it('ends for good when the queue is stopped outside a reset (EAGAIN)', () => {
    const { clock, vm, driver, workload } = guest();
    driver.remove(); // queue and QM stopped
    const stream = startJobStream({ vm, driver, workload, side: 'source', periodUs: 5, limit: 8 });
    clock.runUntilIdle();
    expect(stream).toMatchObject({ submitted: 0, ended: 'queue stopped' });
  });

  it('refuses a zero period (EINVAL, nothing scheduled)', () => {
    const { clock, vm, driver, workload } = guest();
    expect(
      errnoOf(() => startJobStream({ vm, driver, workload, side: 'source', periodUs: 0, limit: 1 })),
    ).toBe('EINVAL');
    expect(clock.nextEventTime()).toBeUndefined();
  });
});
