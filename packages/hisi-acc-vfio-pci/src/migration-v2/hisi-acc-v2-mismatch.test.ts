import {
  QemuFileReader,
  QemuFileWriter,
  VFIO_DEVICE_STATE_RESUMING as RESUMING,
  VFIO_DEVICE_STATE_RUNNING as RUNNING,
  VFIO_DEVICE_STATE_STOP as STOP,
} from '@vfio-sim/migration-v2';
import { errnoOf, type KernelError } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import {
  expectSourceResumed,
  expectVfStateKept,
  MISMATCHED_DESTINATIONS,
  migrationPairAfterJobs,
  mismatchedPair,
} from '../__fixtures__/migration-checks.js';
import { migrationPair, v2Client } from '../__fixtures__/testbed.js';
import { resumeFd, sourceStream, writeData as write } from '../__fixtures__/v2-data.js';
import { ACC_DEV_MAGIC, acc_vf_data } from '../state/acc-vf-data.js';
import { xqcDmaAddr } from '../state/acc-vf-state.js';

describe.each(MISMATCHED_DESTINATIONS)('resume refuses %s', (_what, dstOptions) => {
  it('the pre-copy data already fails the data fd write with EFAULT; destination untouched; the source resumes', () => {
    const { src, dst, vm, inputs } = mismatchedPair(dstOptions, 31, 6);
    const s = v2Client(src, { switchoverAck: true });
    const d = v2Client(dst, { switchoverAck: true });
    d.loadSetup();
    const expectDstUnchanged = expectVfStateKept(dst);
    const setup = new QemuFileWriter();
    s.saveSetup(setup);
    d.loadState(new QemuFileReader(setup.toBytes()));
    const iter = new QemuFileWriter();
    s.saveIterate(iter);
    let err: KernelError | undefined;
    try {
      d.loadState(new QemuFileReader(iter.toBytes()));
    } catch (e) {
      err = e as KernelError;
    }
    expect(err?.errno).toBe('EFAULT');
    expect(err?.context?.cause).toBe('EINVAL');
    expect(dst.handle.getMigState()).toBe(RESUMING); // aborting RESUMING needs a reset (uAPI)
    expectDstUnchanged();
    expect(dst.process.openFds()).toContain(d.dataFd); // the resuming fd stays open until cleanup
    d.loadCleanup();
    // RESUMING → STOP with nothing accepted: EINVAL, still nothing restored.
    expect(errnoOf(() => dst.handle.setMigState(STOP))).toBe('EINVAL');
    expectDstUnchanged();

    // The source's failure notifier: PRE_COPY → RUNNING; the guest never stopped and runs on.
    s.migrationFailed();
    s.saveCleanup();
    expect(src.handle.getMigState()).toBe(RUNNING);
    expectSourceResumed({ src, vm }, inputs, 32, 3);
  });
});

describe('the stream header checks on write', () => {
  it('bad magic, other major version, wrong device id: EFAULT, nothing consumed', () => {
    const { src, dst, vm } = migrationPairAfterJobs(1, 2);
    const good = sourceStream(src, () => vm.stop());
    expect(good.length).toBe(176);
    const fd = resumeFd(dst);
    const migf = dst.hdev.resumingMigf!;
    // [offset, xor]: magic, major version (1 → 3), device id.
    const variants: [number, number][] = [
      [0, 1],
      [28, 2],
      [12, 0x10],
    ];
    for (const [at, xor] of variants) {
      const bad = good.slice();
      bad[at] = good[at]! ^ xor;
      expect(errnoOf(() => write(dst, fd, bad.subarray(0, 40)))).toBe('EFAULT');
      expect([migf.position, migf.totalLength]).toEqual([0, 0]);
    }
    // Splitting the good stream anywhere works: the check runs once 40 bytes are in, on every write.
    expect(write(dst, fd, good.subarray(0, 13))).toBe(13);
    expect(write(dst, fd, good.subarray(13, 100))).toBe(87);
    expect(write(dst, fd, good.subarray(100))).toBe(76);
    expect(errnoOf(() => write(dst, fd, good.subarray(0, 1)))).toBe('ENOMEM');
    dst.handle.setMigState(STOP);
    expect(dst.hdev.vfQmState).toBe(0);
  });

  it('a V1-magic stream (v5.18–v6.15 source) is accepted and its EQE/AEQE addresses are recomputed', () => {
    const { src, dst, vm } = migrationPairAfterJobs(4, 2);
    const good = sourceStream(src, () => vm.stop());
    const v = acc_vf_data.decode(good);
    // What an old kernel sent: V1 magic, no version, EQE/AEQE from the wrong dwords.
    const old = acc_vf_data.encode({
      ...v,
      acc_magic: ACC_DEV_MAGIC,
      qm_rsv_state: [0, 0, 0],
      eqe_dma: (BigInt(v.qm_eqc_dw[1]!) << 32n) | BigInt(v.qm_eqc_dw[0]!),
      aeqe_dma: (BigInt(v.qm_aeqc_dw[1]!) << 32n) | BigInt(v.qm_aeqc_dw[0]!),
    });
    const fd = resumeFd(dst);
    expect(write(dst, fd, old)).toBe(176);
    dst.handle.setMigState(STOP);
    expect(BigInt(dst.hdev.vfQm.eqeDma)).toBe(xqcDmaAddr(v.qm_eqc_dw));
    expect(BigInt(dst.hdev.vfQm.aeqeDma)).toBe(xqcDmaAddr(v.qm_aeqc_dw));
    expect(dst.hdev.vfQm.eqeDma).toBe(Number(v.eqe_dma));
  });

  it('a truncated stream (between 40 and 176 bytes) fails RESUMING → STOP with EINVAL; the device stays RESUMING', () => {
    const { src, dst, vm } = migrationPairAfterJobs(5, 2);
    const good = sourceStream(src, () => vm.stop());
    const fd = resumeFd(dst);
    write(dst, fd, good.subarray(0, 100));
    const expectDstUnchanged = expectVfStateKept(dst);
    expect(errnoOf(() => dst.handle.setMigState(STOP))).toBe('EINVAL');
    expect(dst.handle.getMigState()).toBe(RESUMING);
    expectDstUnchanged();
    write(dst, fd, good.subarray(100)); // the rest arrives: now it loads
    dst.handle.setMigState(STOP);
    expect(dst.handle.getMigState()).toBe(STOP);
  });

  it('match data only (guest driver never started): 40 bytes, nothing restored, STOP → RUNNING restarts nothing', () => {
    const { src, dst } = migrationPair();
    src.vfHw.faults.inject({ kind: 'vf-not-ready' });
    const stream = sourceStream(src, () => {});
    expect(stream.length).toBe(40);
    const fd = resumeFd(dst);
    write(dst, fd, stream);
    dst.handle.setMigState(STOP);
    expect(dst.hdev.vfQmState).toBe(1);
    dst.handle.setMigState(RUNNING);
    expect(dst.hdev.window.isMapped).toBe(false);
  });
});
