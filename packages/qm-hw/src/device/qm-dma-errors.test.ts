import { errnoOf, isKernelError, type KernelError, writeq } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { QM_CQE_ERROR, QM_CQE_SIZE, QM_EQE_SIZE } from '../regs/contexts.js';
import { QM_DOORBELL_CMD_EQ, qmDbV2 } from '../regs/doorbell.js';
import { QM_AXI_BRESP, QM_AXI_RRESP } from '../regs/hw-error.js';
import {
  QM_ABNORMAL_INT_MASK,
  QM_ABNORMAL_INT_SOURCE,
  QM_ABNORMAL_INT_STATUS,
  QM_CACHE_WB_DONE,
  QM_CACHE_WB_START,
  QM_DOORBELL_EQ_AEQ_BASE_V2,
  QM_EQC_DW0,
} from '../regs/registers.js';
import { QM_SQE_OP_ZIP_DEFLATE, QM_SQE_SIZE, QM_SQE_STATUS_OK, qm_sqe } from '../regs/sqe.js';
import {
  QM_ABNORMAL_EVENT_IRQ_VECTOR,
  QM_AEQ_EVENT_IRQ_VECTOR,
  QM_EQ_EVENT_IRQ_VECTOR,
} from '../regs/versions.js';
import { layout, makeDevice, putSqe, ringSq, startFunction } from './__fixtures__/qm-setup.js';

const VF0 = 0x100_0000;
const L = layout(VF0);

/** VF0 started with 2 queues, its IRQs and the PF's recorded, the PF's abnormal interrupt unmasked. */
function rig() {
  const r = makeDevice('zip', 1, 4);
  const vf = r.vfs[0]!;
  startFunction(r.clock, r.mem, vf, VF0, 2);
  const vfIrqs: number[] = [];
  const pfIrqs: number[] = [];
  vf.setInterruptHandler((v) => vfIrqs.push(v));
  r.dev.pf.setInterruptHandler((v) => pfIrqs.push(v));
  r.dev.pf.bar2.writel(QM_ABNORMAL_INT_MASK, 0);
  return { ...r, vf, vfIrqs, pfIrqs };
}

/** One deflate job in SQ slot `slot` of queue `qn`, doorbell rung. */
function submit(r: ReturnType<typeof rig>, qn = 0, slot = 0): number {
  const src = L.data + qn * 0x40000;
  r.mem.write(src, new Uint8Array(64).fill(7));
  const at = putSqe(r.mem, VF0, qn, slot, {
    opcode: QM_SQE_OP_ZIP_DEFLATE,
    src_addr: BigInt(src),
    src_len: 64,
    dst_addr: BigInt(src + 0x10000),
    dst_len: 0x1000,
    tag: slot,
  });
  ringSq(r.vf.bar2, qn, slot + 1);
  return at;
}

function queue(r: ReturnType<typeof rig>, qn: number) {
  return r.vf.snapshot().state.queues[qn]!;
}

describe('a failed DMA write of queue memory', () => {
  it('CQE: no CQ tail advance, no EQE, no EQ interrupt; queue stopped; QM_AXI_BRESP for the PF', () => {
    const r = rig();
    r.vf.faults.inject({ kind: 'dma-fault', iova: L.cq(0), length: QM_CQE_SIZE });
    submit(r);
    expect(r.clock.runUntilIdle()).toBeLessThan(100); // the clock goes idle: nothing re-raises
    expect(queue(r, 0).cqc?.tail).toBe(0);
    expect(queue(r, 0).stopped).toBe(true);
    expect(r.vf.eq.tail).toBe(0);
    expect(r.mem.readU32(L.eq)).toBe(0);
    expect(r.vfIrqs).toEqual([]);
    expect(r.dev.pf.bar2.readl(QM_ABNORMAL_INT_SOURCE)).toBe(QM_AXI_BRESP);
    expect(r.dev.pf.bar2.readl(QM_ABNORMAL_INT_STATUS)).toBe(QM_AXI_BRESP);
    expect(r.pfIrqs).toEqual([QM_ABNORMAL_EVENT_IRQ_VECTOR]);
  });

  it('EQE: the CQE stands, the EQ tail does not move and nothing is raised', () => {
    const r = rig();
    r.vf.faults.inject({ kind: 'dma-fault', iova: L.eq, length: QM_EQE_SIZE });
    submit(r);
    r.clock.runUntilIdle();
    expect(queue(r, 0).cqc?.tail).toBe(1);
    expect(r.mem.readU16(L.cq(0) + 14) & 1).toBe(1); // the CQE was written with its phase
    expect(r.vf.eq.tail).toBe(0);
    expect(r.vf.eqIntSource).toBe(0);
    expect(r.vfIrqs).toEqual([]);
    expect(queue(r, 0).stopped).toBe(true);
    expect(r.dev.pf.bar2.readl(QM_ABNORMAL_INT_STATUS)).toBe(QM_AXI_BRESP);
  });

  it("the SQE's status write-back: no CQE follows it", () => {
    const r = rig();
    const sqe = submit(r);
    r.vf.faults.inject({ kind: 'dma-fault', iova: sqe + qm_sqe.offsetOf('status'), length: 4 });
    r.clock.runUntilIdle();
    expect(queue(r, 0).cqc?.tail).toBe(0);
    expect(r.mem.readU16(L.cq(0) + 14)).toBe(0);
    expect(r.dev.pf.bar2.readl(QM_ABNORMAL_INT_STATUS)).toBe(QM_AXI_BRESP);
  });

  it('AEQE: an SQE fetch fault whose AEQE cannot be written leaves the AEQ tail alone', () => {
    const r = rig();
    r.vf.faults.inject({ kind: 'dma-fault', iova: L.sq(0), length: QM_SQE_SIZE });
    r.vf.faults.inject({ kind: 'dma-fault', iova: L.aeq, length: QM_EQE_SIZE });
    submit(r);
    r.clock.runUntilIdle();
    expect(queue(r, 0).stopped).toBe(true);
    expect(r.vf.aeq.tail).toBe(0);
    expect(r.vfIrqs).toEqual([]);
    expect(r.dev.pf.bar2.readl(QM_ABNORMAL_INT_STATUS)).toBe(QM_AXI_BRESP);
  });

  it('an SQE fetch fault alone is reported on the AEQ (QM_CQE_ERROR), not as a RAS error', () => {
    const r = rig();
    r.vf.faults.inject({ kind: 'dma-fault', iova: L.sq(0), length: QM_SQE_SIZE });
    submit(r);
    r.clock.runUntilIdle();
    expect(r.mem.readU32(L.aeq)).toBe(((QM_CQE_ERROR << 17) | (1 << 16)) >>> 0);
    expect(r.vfIrqs).toEqual([QM_AEQ_EVENT_IRQ_VECTOR]);
    expect(r.dev.pf.bar2.readl(QM_ABNORMAL_INT_SOURCE)).toBe(0);
  });

  it('cache write-back: QM_CACHE_WB_DONE stays 0, the contexts after the failure are not written', () => {
    const r = rig();
    r.vf.faults.inject({ kind: 'dma-fault', iova: L.sqcBt, length: 32 }); // queue 0's SQC slot
    r.vf.bar2.writel(QM_CACHE_WB_START, 1);
    r.clock.runUntilIdle();
    expect(r.vf.bar2.readl(QM_CACHE_WB_DONE)).toBe(0);
    expect(r.mem.readU32(L.sqcBt + 32 + 4)).toBe(0); // queue 1's SQC was not written either
    expect(r.dev.pf.bar2.readl(QM_ABNORMAL_INT_STATUS)).toBe(QM_AXI_BRESP);
    r.vf.faults.clear('dma-fault');
    r.vf.bar2.writel(QM_CACHE_WB_START, 1);
    r.clock.runUntilIdle();
    expect(r.vf.bar2.readl(QM_CACHE_WB_DONE)).toBe(1);
    expect(r.mem.readU32(L.sqcBt + 32 + 4)).toBe(L.sq(1));
  });

  it('a context that cannot be read from its base table on a doorbell: QM_AXI_RRESP, nothing loaded', () => {
    const r = rig();
    r.vf.bar2.writel(QM_CACHE_WB_START, 1);
    r.clock.runUntilIdle();
    r.vf.dropCachedContexts();
    r.vf.faults.inject({ kind: 'dma-fault', iova: L.cqcBt, length: 32 });
    submit(r);
    r.clock.runUntilIdle();
    expect(r.vf.snapshot().transient.onChipQueues).toEqual([]);
    expect(r.mem.readU16(L.cq(0) + 14)).toBe(0);
    expect(r.dev.pf.bar2.readl(QM_ABNORMAL_INT_STATUS)).toBe(QM_AXI_RRESP);
  });

  it('a corrupted CQC (CQ base outside guest memory) reaches the same path: QM_AXI_BRESP, no storm', () => {
    const r = rig();
    const q = r.vf.queueFor(0)!;
    q.cqBase = r.mem.size + 0x1000; // what a flipped cqc base_h would do
    submit(r);
    expect(r.clock.runUntilIdle()).toBeLessThan(100);
    expect(q.cqTail).toBe(0);
    expect(q.stopped).toBe(true);
    expect(r.dev.pf.bar2.readl(QM_ABNORMAL_INT_STATUS)).toBe(QM_AXI_BRESP);
  });

  it('a pending error raises the abnormal vector once; a masked one not at all', () => {
    const r = rig();
    r.vf.faults.inject({ kind: 'dma-fault', iova: L.cq(0), length: 2 * QM_CQE_SIZE });
    r.vf.faults.inject({ kind: 'dma-fault', iova: L.cq(1), length: QM_CQE_SIZE });
    submit(r, 0);
    submit(r, 1);
    r.clock.runUntilIdle();
    expect(r.pfIrqs).toEqual([QM_ABNORMAL_EVENT_IRQ_VECTOR]);
    r.dev.pf.bar2.writel(QM_ABNORMAL_INT_SOURCE, QM_AXI_BRESP);
    r.dev.pf.bar2.writel(QM_ABNORMAL_INT_MASK, QM_AXI_BRESP);
    r.dev.hwError(QM_AXI_BRESP, 1, 0);
    r.clock.runUntilIdle();
    expect(r.pfIrqs).toHaveLength(1);
    expect(r.dev.pf.bar2.readl(QM_ABNORMAL_INT_SOURCE)).toBe(QM_AXI_BRESP);
    expect(r.dev.pf.bar2.readl(QM_ABNORMAL_INT_STATUS)).toBe(0);
  });

  it('without faults the same job completes normally (control)', () => {
    const r = rig();
    const sqe = submit(r);
    r.clock.runUntilIdle();
    expect(r.mem.readU32(sqe + qm_sqe.offsetOf('status'))).toBe(QM_SQE_STATUS_OK);
    expect(r.vf.eq.tail).toBe(1);
    expect(r.vfIrqs).toEqual([QM_EQ_EVENT_IRQ_VECTOR]);
    expect(r.dev.pf.bar2.readl(QM_ABNORMAL_INT_SOURCE)).toBe(0);
  });
});

describe('the storm guard on the interrupt lines', () => {
  it('an EQ whose tail is ahead of any entry (a corrupted EQC image) storms, and the clock ends it', () => {
    const r = rig();
    const { vf, clock } = r;
    // A handler that finds no valid EQE and rings the EQ doorbell with the same head, as qm_irq() does.
    let calls = 0;
    vf.setInterruptHandler(() => {
      calls++;
      const d = qmDbV2(0, QM_DOORBELL_CMD_EQ, 0, 0);
      writeq(vf.bar2, QM_DOORBELL_EQ_AEQ_BASE_V2, d.lo, d.hi);
    });
    vf.bar2.writel(QM_EQC_DW0, 5 << 16); // tail 5, head 0, no entries written
    const d = qmDbV2(0, QM_DOORBELL_CMD_EQ, 0, 0);
    writeq(vf.bar2, QM_DOORBELL_EQ_AEQ_BASE_V2, d.lo, d.hi);
    let err: KernelError | undefined;
    try {
      clock.runUntilIdle();
    } catch (e) {
      if (!isKernelError(e)) throw e;
      err = e;
    }
    expect(err?.errno).toBe('EDEADLK');
    expect(err?.context?.track).toBe('qm fun 1 irq 0');
    expect(calls).toBe(clock.stormEvents);
  });

  it('a handler that consumes entries is progress: many completions never trip the guard', () => {
    const r = rig();
    const { vf, clock, mem } = r;
    let head = 0;
    vf.setInterruptHandler((v) => {
      if (v !== QM_EQ_EVENT_IRQ_VECTOR) return;
      while (((mem.readU32(L.eq + head * QM_EQE_SIZE) >>> 16) & 1) === 1) {
        mem.writeU32(L.eq + head * QM_EQE_SIZE, 0);
        head = (head + 1) % 16;
      }
      const d = qmDbV2(0, QM_DOORBELL_CMD_EQ, head, 0);
      writeq(vf.bar2, QM_DOORBELL_EQ_AEQ_BASE_V2, d.lo, d.hi);
    });
    for (let i = 0; i < 15; i++) {
      putSqe(mem, VF0, 0, i, { opcode: QM_SQE_OP_ZIP_DEFLATE, dst_addr: BigInt(L.data), dst_len: 64 });
    }
    ringSq(vf.bar2, 0, 15);
    expect(errnoOf(() => clock.runUntilIdle())).toBeUndefined();
    expect(vf.eq.tail).toBe(15);
  });
});
