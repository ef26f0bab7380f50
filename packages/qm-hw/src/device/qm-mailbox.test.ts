import { VirtualClock } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { qm_cqc, qm_eqc, qm_sqc } from '../regs/contexts.js';
import {
  QM_MB_CMD_AEQC,
  QM_MB_CMD_CQC,
  QM_MB_CMD_CQC_BT,
  QM_MB_CMD_DST,
  QM_MB_CMD_EQC,
  QM_MB_CMD_SQC,
  QM_MB_CMD_SQC_BT,
  QM_MB_CMD_SQC_VFT_V2,
  QM_MB_CMD_SRC,
  QM_MB_CMD_STOP_QP,
  qmMbBusy,
  qmMbEncode,
  qmMbStatus,
} from '../regs/mailbox.js';
import {
  QM_AEQC_DW0,
  QM_EQC_DW0,
  QM_MB_CMD_DATA_ADDR_H,
  QM_MB_CMD_DATA_ADDR_L,
  QM_MB_CMD_SEND_BASE,
} from '../regs/registers.js';
import { QM_HW_V1 } from '../regs/versions.js';
import { qmSqcVftV2Decode } from '../regs/vft.js';
import { bytes, layout, makeDevice, mb, mbIssue, startFunction } from './__fixtures__/qm-setup.js';
import { QmDevice } from './qm-device.js';
import {
  QM_MB_STATUS_BAD_CMD,
  QM_MB_STATUS_BAD_QUEUE,
  QM_MB_STATUS_BAD_WIDTH,
  QM_MB_STATUS_DMA_FAULT,
} from './qm-mailbox.js';

const VF0 = 0x100_0000;
const result = (bar: { readl(o: number): number }) => ({
  lo: bar.readl(QM_MB_CMD_DATA_ADDR_L),
  hi: bar.readl(QM_MB_CMD_DATA_ADDR_H),
});

describe('mailbox protocol', () => {
  it('busy is set by the write and cleared after the modelled latency', () => {
    const { clock, vfs } = makeDevice('zip', 1, 4, { latencies: { mailboxUs: 30 } });
    const bar = vfs[0]!.bar2;
    mbIssue(bar, QM_MB_CMD_SQC_BT, 1, 0);
    expect(qmMbBusy(bar.readl(QM_MB_CMD_SEND_BASE))).toBe(true);
    clock.udelay(29);
    expect(qmMbBusy(bar.readl(QM_MB_CMD_SEND_BASE))).toBe(true);
    clock.udelay(1);
    const w0 = bar.readl(QM_MB_CMD_SEND_BASE);
    expect(qmMbBusy(w0)).toBe(false);
    expect(qmMbStatus(w0)).toBe(0);
  });

  it('accepts only one 16-byte write: 4- and 8-byte writes give a failure status, no command', () => {
    const { clock, vfs } = makeDevice('zip', 1);
    const bar = vfs[0]!.bar2;
    bar.writel(QM_MB_CMD_SEND_BASE, 0x2004);
    expect(qmMbBusy(bar.readl(QM_MB_CMD_SEND_BASE))).toBe(false);
    expect(qmMbStatus(bar.readl(QM_MB_CMD_SEND_BASE))).toBe(QM_MB_STATUS_BAD_WIDTH);
    bar.write(QM_MB_CMD_SEND_BASE + 8, new Uint8Array(8));
    expect(qmMbStatus(bar.readl(QM_MB_CMD_SEND_BASE))).toBe(QM_MB_STATUS_BAD_WIDTH);
    const full = qmMbEncode(new Uint8Array(16), QM_MB_CMD_SQC_BT, 0, 0, 0x5000, 0);
    bar.write(QM_MB_CMD_SEND_BASE + 4, full.subarray(0, 12).slice(0, 8));
    clock.udelay(100);
    expect(vfs[0]!.sqcBt).toBe(0);
  });

  it('a write while busy is ignored', () => {
    const { clock, vfs } = makeDevice('zip', 1);
    const vf = vfs[0]!;
    mbIssue(vf.bar2, QM_MB_CMD_SQC_BT, 0, 0, 0x1000);
    mbIssue(vf.bar2, QM_MB_CMD_CQC_BT, 0, 0, 0x2000);
    clock.udelay(100);
    expect(vf.sqcBt).toBe(0x1000);
    expect(vf.cqcBt).toBe(0);
  });

  it('unknown command and a write-direction SQC_VFT_V2 fail with a status, never a throw', () => {
    const { clock, vfs } = makeDevice('zip', 1);
    const bar = vfs[0]!.bar2;
    expect(qmMbStatus(mb(clock, bar, 0x7, 0, 0))).toBe(QM_MB_STATUS_BAD_CMD);
    expect(qmMbStatus(mb(clock, bar, 0xff, 1, 0))).toBe(QM_MB_STATUS_BAD_CMD);
    expect(qmMbStatus(mb(clock, bar, QM_MB_CMD_SQC_VFT_V2, 0, 0))).toBe(QM_MB_STATUS_BAD_CMD);
  });

  it('SQC_VFT_V2 on V1 hardware is unknown', () => {
    const clock = new VirtualClock();
    const dev = new QmDevice({ kind: 'zip', clock, version: QM_HW_V1 });
    expect(qmMbStatus(mb(clock, dev.pf.bar2, QM_MB_CMD_SQC_VFT_V2, 1, 0))).toBe(QM_MB_STATUS_BAD_CMD);
  });

  it('a mailbox without the busy bit only stores the words', () => {
    const { clock, vfs } = makeDevice('zip', 1);
    const vf = vfs[0]!;
    const b = qmMbEncode(new Uint8Array(16), QM_MB_CMD_SQC_BT, 0, 0, 0x1000, 0);
    b[1] = b[1]! & ~0x20;
    vf.bar2.write(QM_MB_CMD_SEND_BASE, b);
    clock.udelay(100);
    expect(vf.sqcBt).toBe(0);
    expect(vf.bar2.readl(QM_MB_CMD_DATA_ADDR_L)).toBe(0x1000);
  });
});

describe('mailbox commands', () => {
  it('SQC_BT / CQC_BT write then read return the 64-bit address in 0x304/0x308', () => {
    const { clock, vfs } = makeDevice('sec', 1);
    const bar = vfs[0]!.bar2;
    mb(clock, bar, QM_MB_CMD_SQC_BT, 0, 0, 0x1_2345_6000);
    mb(clock, bar, QM_MB_CMD_CQC_BT, 0, 0, 0x7000);
    mb(clock, bar, QM_MB_CMD_SQC_BT, 1, 0);
    expect(result(bar)).toEqual({ lo: 0x2345_6000, hi: 1 });
    mb(clock, bar, QM_MB_CMD_CQC_BT, 1, 0);
    expect(result(bar)).toEqual({ lo: 0x7000, hi: 0 });
  });

  it('SQC_VFT_V2 read reports the function’s own VFT (PF programming → VF read round trip)', () => {
    const { clock, dev, vfs } = makeDevice('hpre', 3, 6);
    for (const [i, vf] of vfs.entries()) {
      mb(clock, vf.bar2, QM_MB_CMD_SQC_VFT_V2, 1, 0);
      const r = result(vf.bar2);
      expect(qmSqcVftV2Decode(r.lo, r.hi)).toEqual({ base: 6 * (i + 1), number: 6 });
    }
    mb(clock, dev.pf.bar2, QM_MB_CMD_SQC_VFT_V2, 1, 0);
    const r = result(dev.pf.bar2);
    expect(qmSqcVftV2Decode(r.lo, r.hi)).toEqual({ base: 0, number: 6 });
  });

  it('EQC/AEQC load from DMA, mirror at 0x8000/0x8020, and dump back on read', () => {
    const { clock, mem, vfs } = makeDevice('zip', 1);
    const vf = vfs[0]!;
    const L = layout(VF0);
    const eqc = { ...qm_eqc.zero(), head: 3, tail: 5, base_l: 0xabc000, base_h: 2, dw6: 0x1_000f };
    mem.write(L.ctx, qm_eqc.encode(eqc));
    mb(clock, vf.bar2, QM_MB_CMD_EQC, 0, 0, L.ctx);
    expect([0, 1, 2, 6].map((i) => vf.bar2.readl(QM_EQC_DW0 + 4 * i))).toEqual([
      3 | (5 << 16),
      0xabc000,
      2,
      0x1_000f,
    ]);
    mem.write(L.ctx, qm_eqc.encode({ ...eqc, base_l: 0xdef000 }));
    mb(clock, vf.bar2, QM_MB_CMD_AEQC, 0, 0, L.ctx);
    expect(vf.bar2.readl(QM_AEQC_DW0 + 4)).toBe(0xdef000);
    vf.bar2.writel(QM_EQC_DW0 + 4, 0x55000);
    mb(clock, vf.bar2, QM_MB_CMD_EQC, 1, 0, L.ctx + 0x100);
    expect(qm_eqc.decode(bytes(mem, L.ctx + 0x100, 28)).base_l).toBe(0x55000);
  });

  it('SQC/CQC load by queue number (function-relative for a VF) and dump with live head/tail', () => {
    const { clock, mem, dev, vfs } = makeDevice('zip', 2, 4);
    const vf = vfs[1]!;
    const L = layout(VF0);
    mem.write(L.ctx, qm_sqc.encode({ ...qm_sqc.zero(), tail: 2, base_l: 0x40000, dw3: 0x700f }));
    expect(qmMbStatus(mb(clock, vf.bar2, QM_MB_CMD_SQC, 0, 3, L.ctx))).toBe(0);
    expect(dev.existingQueue(8 + 3)?.sqTail).toBe(2);
    expect(qmMbStatus(mb(clock, vf.bar2, QM_MB_CMD_SQC, 1, 3, L.ctx + 0x40))).toBe(0);
    expect(qm_sqc.decode(bytes(mem, L.ctx + 0x40, 32))).toMatchObject({
      tail: 2,
      base_l: 0x40000,
      dw3: 0x700f,
    });
    mem.write(L.ctx, qm_cqc.encode({ ...qm_cqc.zero(), base_l: 0x50000, dw3: 0x400f, dw6: 1 }));
    expect(qmMbStatus(mb(clock, vf.bar2, QM_MB_CMD_CQC, 0, 3, L.ctx))).toBe(0);
    expect(qmMbStatus(mb(clock, vf.bar2, QM_MB_CMD_CQC, 1, 3, L.ctx + 0x80))).toBe(0);
    expect(qm_cqc.decode(bytes(mem, L.ctx + 0x80, 32))).toMatchObject({ base_l: 0x50000, dw6: 1 });
  });

  it('queues outside the VFT fail; the state of other queues is untouched', () => {
    const { clock, dev, vfs } = makeDevice('zip', 1, 4);
    const vf = vfs[0]!;
    for (const cmd of [QM_MB_CMD_SQC, QM_MB_CMD_CQC, QM_MB_CMD_STOP_QP]) {
      expect(qmMbStatus(mb(clock, vf.bar2, cmd, 0, 4, 0x1000))).toBe(QM_MB_STATUS_BAD_QUEUE);
    }
    expect(dev.existingQueue(8)).toBeUndefined();
    const fresh = new QmDevice({ kind: 'zip', clock: vf.clock });
    const [lone] = fresh.sriovEnable(1);
    expect(qmMbStatus(mb(clock, lone!.bar2, QM_MB_CMD_SQC, 0, 0, 0x1000))).toBe(QM_MB_STATUS_BAD_QUEUE);
  });

  it('a DMA fault during a context load fails with a status and changes nothing', () => {
    const { clock, vfs } = makeDevice('zip', 1);
    const vf = vfs[0]!;
    vf.faults.inject({ kind: 'dma-fault', iova: 0x9000, length: 32 });
    expect(qmMbStatus(mb(clock, vf.bar2, QM_MB_CMD_EQC, 0, 0, 0x9000))).toBe(QM_MB_STATUS_DMA_FAULT);
    expect(Array.from(vf.eq.image)).toEqual([0, 0, 0, 0, 0, 0, 0]);
    vf.setDmaPort(undefined);
    expect(qmMbStatus(mb(clock, vf.bar2, QM_MB_CMD_SQC, 0, 0, 0x100))).toBe(QM_MB_STATUS_DMA_FAULT);
  });

  it('STOP_QP stops fetching on that queue until its SQC is loaded again', () => {
    const { clock, mem, vfs } = makeDevice('zip', 1);
    const vf = vfs[0]!;
    startFunction(clock, mem, vf, VF0, 2);
    expect(qmMbStatus(mb(clock, vf.bar2, QM_MB_CMD_STOP_QP, 0, 1))).toBe(0);
    const q = vf.queueFor(1)!;
    expect(q.stopped).toBe(true);
    expect(vf.queueFor(0)!.stopped).toBe(false);
  });

  it('SRC/DST carry 64-bit messages between PF and VF; bad targets fail', () => {
    const { clock, dev, vfs } = makeDevice('zip', 2);
    mb(clock, dev.pf.bar2, QM_MB_CMD_SRC, 0, 2, 0x0000_0011_0000_0008);
    mb(clock, vfs[1]!.bar2, QM_MB_CMD_DST, 1, 0);
    expect(result(vfs[1]!.bar2)).toEqual({ lo: 8, hi: 0x11 });
    mb(clock, vfs[0]!.bar2, QM_MB_CMD_DST, 1, 0);
    expect(result(vfs[0]!.bar2)).toEqual({ lo: 0, hi: 0 });
    mb(clock, vfs[0]!.bar2, QM_MB_CMD_SRC, 0, 0, 9);
    mb(clock, dev.pf.bar2, QM_MB_CMD_DST, 1, 1);
    expect(result(dev.pf.bar2)).toEqual({ lo: 9, hi: 0 });
    mb(clock, dev.pf.bar2, QM_MB_CMD_SRC, 0, 0xffff, 3);
    mb(clock, vfs[0]!.bar2, QM_MB_CMD_DST, 1, 0);
    expect(result(vfs[0]!.bar2).lo).toBe(3);
    expect(qmMbStatus(mb(clock, vfs[0]!.bar2, QM_MB_CMD_SRC, 0, 1, 9))).toBe(QM_MB_STATUS_BAD_QUEUE);
    expect(qmMbStatus(mb(clock, dev.pf.bar2, QM_MB_CMD_SRC, 0, 7, 9))).toBe(QM_MB_STATUS_BAD_QUEUE);
    expect(qmMbStatus(mb(clock, dev.pf.bar2, QM_MB_CMD_DST, 1, 0))).toBe(QM_MB_STATUS_BAD_QUEUE);
  });
});
