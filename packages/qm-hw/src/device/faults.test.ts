import { MemoryTraceSink, Tracer, VirtualClock, writeq } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { QM_DOORBELL_CMD_SQ, qmDbV2 } from '../regs/doorbell.js';
import { QM_MB_CMD_SQC_BT, qmMbBusy, qmMbStatus } from '../regs/mailbox.js';
import {
  HZIP_CORE_INT_STATUS,
  QM_ABNORMAL_INT_STATUS,
  QM_CACHE_WB_DONE,
  QM_CACHE_WB_START,
  QM_DOORBELL_SQ_CQ_BASE_V2,
  QM_IFC_INT_SET_V,
  QM_IFC_INT_STATUS,
  QM_MB_CMD_SEND_BASE,
  QM_VF_STATE,
} from '../regs/registers.js';
import { QM_SQE_OP_ZIP_DEFLATE } from '../regs/sqe.js';
import { layout, makeDevice, mb, mbIssue, putSqe, startFunction } from './__fixtures__/qm-setup.js';
import { QmDevice } from './qm-device.js';
import { QM_MB_STATUS_ABORTED } from './qm-mailbox.js';

const VF0 = 0x100_0000;

describe('fault injection', () => {
  it('mailbox stuck busy: busy never clears; clearing the fault aborts the command', () => {
    const { clock, vfs } = makeDevice('zip', 1);
    const vf = vfs[0]!;
    vf.faults.inject({ kind: 'mb-stuck-busy' });
    mbIssue(vf.bar2, QM_MB_CMD_SQC_BT, 0, 0, 0x1000);
    clock.udelay(5000);
    expect(qmMbBusy(vf.bar2.readl(QM_MB_CMD_SEND_BASE))).toBe(true);
    expect(vf.sqcBt).toBe(0);
    vf.faults.clear('mb-stuck-busy');
    const w0 = vf.bar2.readl(QM_MB_CMD_SEND_BASE);
    expect(qmMbBusy(w0)).toBe(false);
    expect(qmMbStatus(w0)).toBe(QM_MB_STATUS_ABORTED);
    expect(qmMbStatus(mb(clock, vf.bar2, QM_MB_CMD_SQC_BT, 0, 0, 0x1000))).toBe(0);
    expect(vf.sqcBt).toBe(0x1000);
  });

  it('mailbox error status: the command completes with the status and has no effect', () => {
    const { clock, vfs } = makeDevice('zip', 1);
    const vf = vfs[0]!;
    vf.faults.inject({ kind: 'mb-error', status: 5 });
    expect(qmMbStatus(mb(clock, vf.bar2, QM_MB_CMD_SQC_BT, 0, 0, 0x1000))).toBe(5);
    expect(vf.sqcBt).toBe(0);
    vf.faults.clear();
    expect(vf.faults.active()).toEqual([]);
  });

  it('cache write-back never completes', () => {
    const { clock, vfs } = makeDevice('zip', 1);
    const vf = vfs[0]!;
    vf.faults.inject({ kind: 'cache-wb-stuck' });
    vf.bar2.writel(QM_CACHE_WB_START, 1);
    clock.udelay(10_000);
    expect(vf.bar2.readl(QM_CACHE_WB_DONE)).toBe(0);
  });

  it('RAS pending (PF), IFC pending, engine busy, VF not ready show in the registers the vfio driver polls', () => {
    const { dev, vfs } = makeDevice('zip', 1);
    const vf = vfs[0]!;
    dev.pf.faults.inject({ kind: 'ras-pending', bits: 0x20 });
    expect(dev.pf.bar2.readl(QM_ABNORMAL_INT_STATUS)).toBe(0x20);
    vf.faults.inject({ kind: 'ifc-pending' });
    expect(vf.bar2.readl(QM_IFC_INT_STATUS)).toBe(1);
    expect(vf.bar2.readl(QM_IFC_INT_SET_V)).toBe(1);
    vf.faults.inject({ kind: 'engine-busy' });
    expect(dev.pf.bar2.readl(HZIP_CORE_INT_STATUS)).toBe(1);
    vf.bar2.writel(QM_VF_STATE, 0);
    vf.faults.inject({ kind: 'vf-not-ready' });
    expect(vf.bar2.readl(QM_VF_STATE)).toBe(1);
    dev.pf.faults.clear();
    vf.faults.clear();
    expect(dev.pf.bar2.readl(QM_ABNORMAL_INT_STATUS)).toBe(0);
    expect(vf.bar2.readl(QM_IFC_INT_STATUS)).toBe(0);
    expect(dev.pf.bar2.readl(HZIP_CORE_INT_STATUS)).toBe(0);
    expect(vf.bar2.readl(QM_VF_STATE)).toBe(0);
  });

  it('engine busy: nothing is fetched until it clears; then the latched tail is fetched without another doorbell', () => {
    const { clock, mem, vfs } = makeDevice('zip', 1);
    const vf = vfs[0]!;
    startFunction(clock, mem, vf, VF0, 1);
    putSqe(mem, VF0, 0, 0, { opcode: QM_SQE_OP_ZIP_DEFLATE });
    vf.faults.inject({ kind: 'engine-busy' });
    const d = qmDbV2(0, QM_DOORBELL_CMD_SQ, 1, 0);
    writeq(vf.bar2, QM_DOORBELL_SQ_CQ_BASE_V2, d.lo, d.hi);
    clock.runUntilIdle();
    expect(vf.queueFor(0)!.sqHead).toBe(0);
    vf.faults.clear('engine-busy');
    clock.runUntilIdle();
    expect(vf.queueFor(0)!.cqTail).toBe(1);
  });

  it('a DMA fault on the SQE fetch stops the queue and posts an AEQE (CQE error)', () => {
    const { clock, mem, vfs } = makeDevice('zip', 1);
    const vf = vfs[0]!;
    startFunction(clock, mem, vf, VF0, 1);
    const irqs: number[] = [];
    vf.setInterruptHandler((v) => irqs.push(v));
    vf.faults.inject({ kind: 'dma-fault', iova: layout(VF0).sq(0), length: 128 });
    const d = qmDbV2(0, QM_DOORBELL_CMD_SQ, 1, 0);
    writeq(vf.bar2, QM_DOORBELL_SQ_CQ_BASE_V2, d.lo, d.hi);
    clock.runUntilIdle();
    expect(vf.queueFor(0)!.stopped).toBe(true);
    expect(mem.readU32(layout(VF0).aeq)).toBe((2 << 17) | (1 << 16));
    expect(irqs).toEqual([1]);
  });

  it('faults are traced when injected, cleared and hit', () => {
    const clock = new VirtualClock();
    const sink = new MemoryTraceSink();
    const dev = new QmDevice({ kind: 'zip', clock, tracer: Tracer.create(clock, sink, 'host', 'qm') });
    dev.pf.faults.inject({ kind: 'ras-pending' });
    dev.pf.bar2.readl(QM_ABNORMAL_INT_STATUS);
    dev.pf.faults.clear('ras-pending');
    expect(sink.events.filter((e) => e.category === 'qm.fault').map((e) => e.name)).toEqual([
      'inject ras-pending',
      'hit ras-pending',
      'clear ras-pending',
    ]);
  });
});
