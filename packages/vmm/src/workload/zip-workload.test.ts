import { deflateRawSync } from 'node:zlib';
import { errnoOf } from '@vfio-sim/platform';
import type { GuestJobError, GuestJobResult, GuestVfDriver, QmJob } from '@vfio-sim/qm-hw';
import { describe, expect, it } from 'vitest';
import { ZipWorkload } from './zip-workload.js';

/** A stand-in guest driver: hands out ids, and completes jobs when told to. */
function fakeDriver(firstId = 1) {
  let next = firstId;
  const submitted = new Map<number, QmJob>();
  const listeners: ((r: GuestJobResult) => void)[] = [];
  const errorListeners: ((e: GuestJobError) => void)[] = [];
  const driver = {
    submit: (job: QmJob) => {
      submitted.set(next, job);
      return next++;
    },
    onJobDone: (cb: (r: GuestJobResult) => void) => listeners.push(cb),
    onJobError: (cb: (e: GuestJobError) => void) => errorListeners.push(cb),
    onDeviceError: () => {},
  } as unknown as GuestVfDriver;
  const complete = (jobId: number, output?: Uint8Array, status = 0) => {
    const job = submitted.get(jobId);
    const out = output ?? (job ? new Uint8Array(deflateRawSync(job.input)) : new Uint8Array(0));
    for (const cb of listeners) cb({ jobId, opcode: 1, status, output: out, sqSlot: 0, completedAt: 0 });
  };
  /** The driver gives up on `jobId` after a CQE error (what `GuestVfDriver.onJobError` reports). */
  const fail = (jobId: number) => {
    const cause = { kind: 'cqe-error', code: 1, qpId: 0, at: 7, message: 'cqe error, stop qp(0)' } as const;
    for (const cb of errorListeners) cb({ jobId, opcode: 1, errno: 'EIO', cause, failedAt: 7 });
  };
  return { driver, complete, fail, submitted };
}

describe('ZipWorkload', () => {
  it('counts every job exactly once across source and destination', () => {
    const w = new ZipWorkload({ seed: 1 });
    const src = fakeDriver(1);
    w.watch(src.driver, 'source');
    expect(w.submit(src.driver, 'source', 3)).toEqual([1, 2, 3]);
    src.complete(1);
    const dst = fakeDriver(4); // ids continue: the driver's counter lives in guest memory
    w.watch(dst.driver, 'destination');
    // jobs 2 and 3 were in flight: the destination driver reports them
    dst.submitted.set(2, src.submitted.get(2)!);
    dst.submitted.set(3, src.submitted.get(3)!);
    dst.complete(2);
    dst.complete(3);
    w.submit(dst.driver, 'destination', 1);
    dst.complete(4);
    expect(w.outstanding).toBe(0);
    expect(w.tally()).toEqual({
      submitted: 4,
      submittedOnSource: 3,
      submittedOnDestination: 1,
      completedOnSource: 1,
      completedOnDestination: 3,
      verified: 4,
      lost: [],
      losses: [],
      unattributed: [],
      duplicated: [],
      corrupt: [],
      unknown: [],
    });
  });

  it('finds lost, duplicated, corrupt and unknown completions', () => {
    const w = new ZipWorkload({ seed: 2 });
    const d = fakeDriver();
    w.watch(d.driver, 'source');
    w.submit(d.driver, 'source', 5);
    d.complete(1);
    d.complete(2);
    d.complete(2);
    d.complete(3, new Uint8Array([1, 2, 3]));
    d.complete(4, undefined, 1);
    d.complete(99);
    const t = w.tally();
    expect(t.lost).toEqual([5]);
    expect(t.unattributed).toEqual([5]);
    expect(t.duplicated).toEqual([2]);
    expect(t.corrupt).toEqual([3, 4]);
    expect(t.unknown).toEqual([99]);
    expect(t.verified).toBe(1);
    expect(w.outstanding).toBe(1);
    // the bad status is a loss the hardware reported; the wrong output under status OK is not
    expect(t.losses).toEqual([
      { jobId: 4, side: 'source', cause: expect.objectContaining({ kind: 'hardware-error', errno: 'EIO' }) },
    ]);
  });

  it('attaches causes: a job error from the driver, a device the VMM says was lost; the rest is unattributed', () => {
    const w = new ZipWorkload({ seed: 4 });
    const d = fakeDriver();
    w.watch(d.driver, 'source');
    w.submit(d.driver, 'source', 4);
    d.fail(1);
    d.complete(2);
    expect(w.outstanding).toBe(2); // the failed job is no longer outstanding
    const reset = {
      kind: 'device-reset-by-vmm',
      detail: 'test reset',
      errno: null,
      atUs: 9,
      upstream: 'QEMU',
    } as const;
    w.deviceLost(reset);
    d.complete(3); // a completion already written still counts
    w.submit(d.driver, 'source', 1); // job 5 goes to the lost device: lost too
    const t = w.tally();
    expect(t.verified).toBe(2);
    expect(t.lost).toEqual([1, 4, 5]);
    expect(t.unattributed).toEqual([]);
    expect(t.losses.map((l) => [l.jobId, l.cause.kind])).toEqual([
      [1, 'hardware-error'],
      [4, 'device-reset-by-vmm'],
      [5, 'device-reset-by-vmm'],
    ]);
    expect(t.losses[0]!.cause).toMatchObject({ errno: 'EIO', detail: 'cqe-error: cqe error, stop qp(0)' });
    // a new driver (the guest moved) runs on another device: new jobs are not attributed to the old one
    const dst = fakeDriver(6);
    w.watch(dst.driver, 'destination');
    w.submit(dst.driver, 'destination', 1);
    expect(w.tally().unattributed).toEqual([6]);
  });

  it('draws the same compressible inputs for the same seed', () => {
    const a = fakeDriver();
    const b = fakeDriver();
    new ZipWorkload({ seed: 9 }).submit(a.driver, 'source', 4);
    new ZipWorkload({ seed: 9 }).submit(b.driver, 'source', 4);
    const inputs = [...a.submitted.values()].map((j) => j.input);
    expect(inputs).toEqual([...b.submitted.values()].map((j) => j.input));
    for (const input of inputs) {
      expect(input.length).toBeGreaterThanOrEqual(2048);
      expect(input.length).toBeLessThanOrEqual(16384);
      expect(deflateRawSync(input).length).toBeLessThan(input.length / 2);
    }
  });

  it('rejects an empty size range (EINVAL)', () => {
    expect(errnoOf(() => new ZipWorkload({ seed: 1, minBytes: 10, maxBytes: 5 }))).toBe('EINVAL');
    expect(errnoOf(() => new ZipWorkload({ seed: 1, minBytes: 0 }))).toBe('EINVAL');
  });
});
