import { deflateRawSync } from 'node:zlib';
import { errnoOf } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { QM_CQE_SIZE, QM_EQ_OVERFLOW, QM_EQE_SIZE } from '../regs/contexts.js';
import { QM_AXI_BRESP, QM_AXI_RRESP, QM_DB_RANDOM_INVALID, QM_ECC_1BIT } from '../regs/hw-error.js';
import { QM_PF_SRST_PREPARE, QM_VF_START_DONE } from '../regs/mailbox.js';
import {
  QM_ABNORMAL_INT_MASK,
  QM_ABNORMAL_INT_SET,
  QM_ABNORMAL_INT_SOURCE,
  QM_CACHE_WB_START,
  QM_RAS_NFE_ENABLE,
} from '../regs/registers.js';
import { QM_SQE_OP_ZIP_DEFLATE, QM_SQE_SIZE, QM_SQE_STATUS_OK } from '../regs/sqe.js';
import { probeGuest, zipHost } from './__fixtures__/zip-host.js';
import { qmCacheWb } from './cache-wb.js';
import type { GuestJobError, GuestJobResult, GuestVfDriver } from './guest-vf-driver.js';

const job = (i: number) => ({ opcode: QM_SQE_OP_ZIP_DEFLATE, input: new Uint8Array(200).fill(i) });

/** A host with one VF, its guest driver, and every job end recorded. */
function rig(numVfs = 1) {
  const h = zipHost({ numVfs });
  const drv = probeGuest(h.vf, h.memory, h.clock);
  const done: GuestJobResult[] = [];
  const failed: GuestJobError[] = [];
  drv.onJobDone((r) => done.push(r));
  drv.onJobError((e) => failed.push(e));
  return { ...h, drv, done, failed };
}

/** Submit `n` jobs (as many as the driver takes at once), returns their ids. */
function submitAll(drv: GuestVfDriver, n: number): number[] {
  return Array.from({ length: n }, (_, i) => drv.submit(job(i)));
}

/** Every id ended exactly once: in `done` with status OK, or in `failed` with EIO. */
function accountedOnce(ids: readonly number[], r: ReturnType<typeof rig>) {
  const ok = r.done.filter((d) => ids.includes(d.jobId));
  const ko = r.failed.filter((f) => ids.includes(f.jobId));
  const all = [...ok.map((d) => d.jobId), ...ko.map((f) => f.jobId)].sort((a, b) => a - b);
  expect(all).toEqual([...ids].sort((a, b) => a - b));
  for (const d of ok) expect(d.status).toBe(QM_SQE_STATUS_OK);
  for (const f of ko) expect(f.errno).toBe('EIO');
  return { ok, ko };
}

describe('a DMA fault on a completion write, end to end', () => {
  it('EQE ring: no storm; the PF logs qm_axi_bresp and resets; the guest sees EIO for every lost job; usable after', () => {
    const r = rig();
    const eqe0 = r.drv.qm.eqeDma;
    r.vf.faults.inject({ kind: 'dma-fault', iova: eqe0, length: 64 * QM_EQE_SIZE });
    const ids = submitAll(r.drv, 8);
    expect(errnoOf(() => r.clock.runUntilIdle())).toBeUndefined(); // the clock goes idle: no storm

    // The PF driver read the status qm.c reads, logged it, and took the reset path.
    expect(r.pf.hwErrors).toEqual([
      expect.objectContaining({
        status: QM_AXI_BRESP,
        errors: ['qm_axi_bresp'],
        result: 'NEED_RESET',
        resetScheduled: true,
      }),
    ]);
    expect(r.pf.pfQm.log).toEqual(
      expect.arrayContaining([
        'qm_axi_bresp [error status=0x2] found',
        'Controller resetting...',
        'Controller reset complete',
      ]),
    );
    expect(r.pf.resets).toHaveLength(1);
    expect(r.pf.resets[0]?.errno).toBeUndefined();
    expect(r.pf.ifcReceived.map((m) => m.cmd)).toEqual([]); // answers were collected by the reset flow
    expect(r.device.pf.bar2.readl(QM_ABNORMAL_INT_SOURCE)).toBe(0); // cleared by the reset

    // The guest: the reset came as QM_PF_SRST_PREPARE; every job ended exactly once.
    expect(r.drv.deviceErrors.map((e) => [e.kind, e.code])).toEqual([['device-reset', QM_PF_SRST_PREPARE]]);
    const { ko } = accountedOnce(ids, r);
    expect(ko.length).toBeGreaterThan(0);
    for (const f of ko) expect(f.cause.kind).toBe('device-reset');
    expect(r.drv.inFlight).toBe(0);
    expect(r.drv.qm.log).toEqual(expect.arrayContaining(['device reset start...', 'device reset done.']));
    expect(r.drv.resetting).toBe(false);

    // Fault gone: the device, reset and restarted by the kernel's flow, works again.
    r.vf.faults.clear('dma-fault');
    const again = submitAll(r.drv, 4);
    r.clock.runUntilIdle();
    const back = r.done.filter((d) => again.includes(d.jobId));
    expect(back.map((d) => d.jobId)).toEqual(again);
    expect(Buffer.from(back[0]!.output)).toEqual(deflateRawSync(job(0).input));
    expect(r.pf.resets).toHaveLength(1);
  });

  it('CQE ring: the same path; jobs completed before the fault stay completed', () => {
    const r = rig();
    const first = submitAll(r.drv, 2);
    r.clock.runUntilIdle();
    expect(r.done.map((d) => d.jobId)).toEqual(first);
    r.vf.faults.inject({ kind: 'dma-fault', iova: r.drv.qp.cqeDma, length: 1024 * QM_CQE_SIZE });
    const ids = submitAll(r.drv, 6);
    r.clock.runUntilIdle();
    expect(r.pf.hwErrors[0]?.status).toBe(QM_AXI_BRESP);
    const { ok, ko } = accountedOnce(ids, r);
    expect(ok).toHaveLength(0);
    expect(ko).toHaveLength(6);
    expect(r.done.map((d) => d.jobId)).toEqual(first);
  });

  it('a corrupted CQC (the CQ base outside guest memory) reaches the same path, and the restart repairs it', () => {
    const r = rig();
    const hwQueue = r.vf.queueFor(0)!;
    hwQueue.cqBase = r.memory.size + 0x10000; // what a flipped cqc base_h in a restored context does
    const ids = submitAll(r.drv, 3);
    expect(errnoOf(() => r.clock.runUntilIdle())).toBeUndefined();
    expect(r.pf.hwErrors.map((e) => e.errors)).toEqual([['qm_axi_bresp']]);
    accountedOnce(ids, r);
    expect(r.vf.queueFor(0)!.cqBase).toBe(r.drv.qp.cqeDma); // reloaded from the driver's CQC
    const again = submitAll(r.drv, 2);
    r.clock.runUntilIdle();
    expect(r.done.map((d) => d.jobId)).toEqual(again);
  });

  it('the cache write-back (as the vfio driver starts it at save): ETIMEDOUT there, the same reset, jobs fail, usable after', () => {
    const r = rig();
    r.vf.faults.inject({ kind: 'engine-busy' }); // the jobs stay queued, outstanding
    const ids = submitAll(r.drv, 3);
    r.clock.runUntilIdle();
    // A transient fault on the SQC slot: gone 100 µs later, long before the reset restarts the queue.
    r.vf.faults.inject({ kind: 'dma-fault', iova: r.drv.qm.sqcDma, length: 32 });
    r.clock.after(100, () => r.vf.faults.clear('dma-fault'));
    expect(errnoOf(() => qmCacheWb(r.pf.vfQm(0)))).toBe('ETIMEDOUT');
    r.clock.runUntilIdle();
    expect(r.pf.hwErrors.map((e) => [e.errors, e.result])).toEqual([[['qm_axi_bresp'], 'NEED_RESET']]);
    expect(r.pf.resets).toHaveLength(1);
    expect(accountedOnce(ids, r).ko).toHaveLength(3);
    r.vf.faults.clear();
    const again = submitAll(r.drv, 2);
    r.clock.runUntilIdle();
    expect(r.done.map((d) => d.jobId)).toEqual(again);
  });

  it('a fault still there at the restart: the VF answers QM_VF_START_FAIL and stays stopped (EAGAIN)', () => {
    const r = rig();
    r.vf.faults.inject({ kind: 'dma-fault', iova: r.drv.qm.sqcDma, length: 32 });
    r.vf.bar2.writel(QM_CACHE_WB_START, 1);
    r.clock.runUntilIdle();
    expect(r.drv.qm.log).toEqual([
      'device reset start...',
      'Failed to start qp0!',
      'failed to start QM, ret = -5.',
      'device reset done.',
    ]);
    expect(r.pf.pfQm.log).toContain('failed to start VF(1)!');
    expect(errnoOf(() => r.drv.submit(job(0)))).toBe('EAGAIN');
  });

  it('a VF with no driver does not answer: the PF logs it and the reset still completes', () => {
    const r = rig(2);
    r.vf.faults.inject({ kind: 'dma-fault', iova: r.drv.qm.eqeDma, length: QM_EQE_SIZE });
    const ids = submitAll(r.drv, 2);
    r.clock.runUntilIdle();
    expect(r.pf.pfQm.log).toEqual(
      expect.arrayContaining(['failed to send cmd to all VFs before PF reset!', 'VF(2) not ping PF!']),
    );
    expect(r.pf.resets).toEqual([expect.not.objectContaining({ errno: expect.anything() })]);
    accountedOnce(ids, r);
    r.vf.faults.clear();
    const again = submitAll(r.drv, 1);
    r.clock.runUntilIdle();
    expect(r.done.at(-1)?.jobId).toBe(again[0]);
  });

  it("the VF's answers reach the PF in time: nothing times out on either side", () => {
    const r = rig();
    r.vf.faults.inject({ kind: 'dma-fault', iova: r.drv.qm.eqeDma, length: QM_EQE_SIZE });
    submitAll(r.drv, 1);
    r.clock.runUntilIdle();
    expect(r.pf.pfQm.log).toEqual([
      'qm_axi_bresp [error status=0x2] found',
      'Controller resetting...',
      'Controller reset complete',
    ]);
    expect(r.drv.qm.log).toEqual(['device reset start...', 'device reset done.']);
    expect(r.vf.ifcOutbox[0]).toBe(QM_VF_START_DONE); // the last answer the VF left for the PF
  });
});

describe('the PF driver decides as qm_hw_error_handle_v2() does', () => {
  it('probe unmasks the configured errors (hisi_qm_dev_err_init)', () => {
    const r = rig();
    const mask = r.device.pf.bar2.readl(QM_ABNORMAL_INT_MASK);
    expect(mask & QM_AXI_BRESP).toBe(0);
    expect(mask & QM_AXI_RRESP).toBe(0);
    expect(r.pf.pfQm.errorMask).toBe(0x7c77 | 0x8);
  });

  it('a correctable error (QM_ECC_1BIT) and QM_DB_RANDOM_INVALID are recovered: source cleared, no reset', () => {
    const r = rig();
    for (const bit of [QM_ECC_1BIT, QM_DB_RANDOM_INVALID]) {
      r.device.pf.bar2.writel(QM_ABNORMAL_INT_SET, bit);
      r.clock.runUntilIdle();
      expect(r.pf.hwErrors.at(-1)).toEqual(
        expect.objectContaining({ status: bit, result: 'RECOVERED', resetScheduled: false }),
      );
      expect(r.device.pf.bar2.readl(QM_ABNORMAL_INT_SOURCE)).toBe(0);
    }
    expect(r.pf.resets).toEqual([]);
    expect(r.drv.deviceErrors).toEqual([]);
  });

  it('an error in the reset mask: NFE reporting of it is dropped until the reset, one reset for two interrupts', () => {
    const r = rig();
    const nfe = r.device.pf.bar2.readl(QM_RAS_NFE_ENABLE);
    r.device.pf.bar2.writel(QM_ABNORMAL_INT_SET, QM_AXI_RRESP);
    r.pf.abnormalIrq(); // a second interrupt before the reset work ran
    expect(r.device.pf.bar2.readl(QM_RAS_NFE_ENABLE)).toBe(nfe & ~QM_AXI_RRESP);
    r.clock.runUntilIdle();
    expect(r.pf.hwErrors.map((e) => [e.result, e.resetScheduled])).toEqual([
      ['NEED_RESET', true],
      ['NEED_RESET', false],
    ]);
    expect(r.pf.resets).toHaveLength(1);
    expect(r.device.pf.bar2.readl(QM_RAS_NFE_ENABLE)).toBe(nfe); // hisi_qm_dev_err_init after the reset
  });
});

describe('queue errors on the AEQ (qm_aeq_thread)', () => {
  it('QM_CQE_ERROR (an SQE that cannot be fetched): the queue stops for good, its jobs fail with EIO', () => {
    const r = rig();
    r.vf.faults.inject({ kind: 'dma-fault', iova: r.drv.qp.sqeDma, length: QM_SQE_SIZE });
    const ids = submitAll(r.drv, 3);
    r.clock.runUntilIdle();
    expect(r.drv.deviceErrors.map((e) => e.kind)).toEqual(['cqe-error']);
    const { ko } = accountedOnce(ids, r);
    expect(ko).toHaveLength(3);
    expect(r.drv.qp.status.flags).toBe('STOP');
    expect(errnoOf(() => r.drv.submit(job(1)))).toBe('EAGAIN');
    expect(r.pf.hwErrors).toEqual([]); // a fetch fault is the queue's, not a RAS error
  });

  it('QM_EQ_OVERFLOW: the function is reset (qm_reset_function), jobs fail, the queue runs again', () => {
    const r = rig();
    r.vf.faults.inject({ kind: 'engine-busy' });
    const ids = submitAll(r.drv, 3);
    r.clock.runUntilIdle();
    r.vf.device.engine.aeqEvent(r.vf, 0, QM_EQ_OVERFLOW);
    r.clock.runUntilIdle();
    expect(r.drv.deviceErrors.map((e) => e.kind)).toEqual(['eq-overflow']);
    expect(accountedOnce(ids, r).ko).toHaveLength(3);
    r.vf.faults.clear();
    const again = submitAll(r.drv, 2);
    r.clock.runUntilIdle();
    expect(r.done.map((d) => d.jobId)).toEqual(again);
  });
});
