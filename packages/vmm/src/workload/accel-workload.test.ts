import { deflateRawSync } from 'node:zlib';
import { errnoOf } from '@vfio-sim/platform';
import type { GuestJobResult, GuestVfDriver, QmJob } from '@vfio-sim/qm-hw';
import { describe, expect, it } from 'vitest';
import { ACCEL_KINDS, accelJobs, createAccelWorkload } from './accel-workload.js';
import { ZipWorkload } from './zip-workload.js';

/** A stand-in guest driver recording what was submitted. */
function recordingDriver() {
  const submitted: QmJob[] = [];
  const listeners: ((r: GuestJobResult) => void)[] = [];
  const driver = {
    submit: (job: QmJob) => submitted.push(job),
    onJobDone: (cb: (r: GuestJobResult) => void) => listeners.push(cb),
    onJobError: () => {},
    onDeviceError: () => {},
  } as unknown as GuestVfDriver;
  const complete = (jobId: number, output: Uint8Array) => {
    for (const cb of listeners) cb({ jobId, opcode: 0, status: 0, output, sqSlot: 0, completedAt: 0 });
  };
  return { driver, submitted, complete };
}

describe('createAccelWorkload', () => {
  it('zip draws exactly the jobs ZipWorkload draws for the same seed', () => {
    const a = recordingDriver();
    const b = recordingDriver();
    createAccelWorkload('zip', 7).submit(a.driver, 'source', 5);
    new ZipWorkload({ seed: 7 }).submit(b.driver, 'source', 5);
    expect(a.submitted).toEqual(b.submitted);
  });

  it.each(ACCEL_KINDS)('%s: verifies the expected outputs and flags a wrong one', (kind) => {
    const w = createAccelWorkload(kind, 3);
    const d = recordingDriver();
    w.watch(d.driver, 'source');
    w.submit(d.driver, 'source', 4);
    const jobs = accelJobs(kind);
    for (let id = 1; id <= 3; id++) d.complete(id, jobs.expected(d.submitted[id - 1]!));
    const wrong = Uint8Array.from(jobs.expected(d.submitted[3]!));
    wrong[0] = wrong[0]! ^ 1;
    d.complete(4, wrong);
    const t = w.tally();
    expect([t.verified, t.corrupt]).toEqual([3, [4]]);
    expect(w.jobs.engine).toMatch(new RegExp(kind, 'i'));
  });

  it('submit rejects a bad count (EINVAL) and submits nothing', () => {
    const w = createAccelWorkload('sec', 1);
    const d = recordingDriver();
    for (const n of [-1, 1.5]) expect(errnoOf(() => w.submit(d.driver, 'source', n))).toBe('EINVAL');
    expect(d.submitted).toEqual([]);
    expect(w.tally().submitted).toBe(0);
  });

  it('zip expects node:zlib deflateRawSync', () => {
    const input = new TextEncoder().encode('the the the the');
    expect(Buffer.from(accelJobs('zip').expected({ opcode: 1, input })).equals(deflateRawSync(input))).toBe(
      true,
    );
  });
});
