import { QemuFileReader, QemuFileWriter } from '@vfio-sim/migration-v1';
import { errnoOf } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import {
  expectSourceResumed,
  expectVfStateKept,
  MISMATCHED_DESTINATIONS,
  migrationPairAfterJobs,
  mismatchedPair,
} from '../__fixtures__/migration-checks.js';
import { type Host, v1Client } from '../__fixtures__/testbed.js';

/** Save on the source up to the end of stop-and-copy; returns the sections. */
function saveAll(src: Host, stop: () => void): Uint8Array[] {
  const s = v1Client(src);
  const out: Uint8Array[] = [];
  const w1 = new QemuFileWriter();
  s.saveSetup(w1);
  out.push(w1.toBytes());
  s.savePending();
  const w2 = new QemuFileWriter();
  s.saveIterate(w2);
  out.push(w2.toBytes());
  stop();
  s.vmStop();
  const w3 = new QemuFileWriter();
  s.saveComplete(w3);
  out.push(w3.toBytes());
  return out;
}

describe.each(MISMATCHED_DESTINATIONS)('resume refuses %s', (_what, dstOptions) => {
  it('EINVAL on the destination, nothing restored; the source resumes and keeps running', () => {
    const { src, dst, vm, inputs } = mismatchedPair(dstOptions, 11, 6);
    const sections = saveAll(src, () => vm.stop());
    const before = dst.vfHw.snapshot().state;
    const expectDstUnchanged = expectVfStateKept(dst);

    const d = v1Client(dst);
    d.loadSetup(); // 001b → 100b: the destination VF is stopped (PAUSE_QM)
    expect(dst.vfHw.paused).toBe(true);
    const errno = errnoOf(() => {
      for (const bytes of sections) d.loadState(new QemuFileReader(bytes));
    });
    expect(errno).toBe('EINVAL');
    expect(d.deviceState()).toBe(4); // still RESUMING: the failed write changed nothing
    expectDstUnchanged();
    // vm start on a destination with nothing loaded restores nothing either: the VF stopped at RESUMING
    // only restarts, and the restart's IFC channel re-init (qm_dev_cmd_init) is all that is written.
    d.vmStart();
    expect(dst.vfHw.paused).toBe(false);
    expect(dst.vfHw.snapshot().state).toEqual({
      ...before,
      regs: { ...before.regs, ifcIntSource: 0, ifcIntMask: 0 },
    });

    // QEMU's failure path on the source: back to RUNNING, the guest runs on.
    v1Client(src).cancel();
    expectSourceResumed({ src, vm }, inputs, 12, 3);
  });
});

describe('a compatible resume restores the VF byte for byte', () => {
  it('RESUMING → STOP restores the registers, contexts and base tables of the source', () => {
    const { src, dst, vm } = migrationPairAfterJobs(5, 4);
    const sections = saveAll(src, () => vm.stop());
    const d = v1Client(dst);
    d.loadSetup();
    for (const bytes of sections) d.loadState(new QemuFileReader(bytes));
    d.setState(0, 0); // RESUMING → STOP: restore, do not start
    const s = src.vfHw.snapshot().state;
    const t = dst.vfHw.snapshot().state;
    expect({ ...t, queues: undefined }).toEqual({ ...s, queues: undefined });
  });
});
