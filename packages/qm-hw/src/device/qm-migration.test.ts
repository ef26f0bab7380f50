import { deflateRawSync } from 'node:zlib';
import { GuestMemory, IdentityDmaPort, VirtualClock, writeq } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { QM_DOORBELL_CMD_AEQ, QM_DOORBELL_CMD_EQ, qmDbV2 } from '../regs/doorbell.js';
import {
  QM_MB_CMD_CQC_BT,
  QM_MB_CMD_PAUSE_QM,
  QM_MB_CMD_SQC_BT,
  QM_MB_CMD_SQC_VFT_V2,
  qmMbBusy,
  qmMbStatus,
} from '../regs/mailbox.js';
import {
  QM_AEQC_DW0,
  QM_CACHE_WB_DONE,
  QM_CACHE_WB_START,
  QM_DOORBELL_EQ_AEQ_BASE_V2,
  QM_EQC_DW0,
  QM_IFC_INT_MASK,
  QM_IFC_INT_SOURCE_V,
  QM_MB_CMD_DATA_ADDR_H,
  QM_MB_CMD_DATA_ADDR_L,
  QM_MB_CMD_SEND_BASE,
  QM_QUE_ISO_CFG_V,
  QM_VF_STATE,
} from '../regs/registers.js';
import { QM_SQE_OP_ZIP_DEFLATE, QM_SQE_STATUS_OK, qm_sqe } from '../regs/sqe.js';
import {
  bytes,
  layout,
  mb,
  mbIssue,
  putSqe,
  ringSq,
  setVft,
  startFunction,
} from './__fixtures__/qm-setup.js';
import { QmDevice } from './qm-device.js';
import type { QmFunction } from './qm-function.js';

const VFB = 0x100_0000;
const SAVED = [0x4, 0xc, 0x20, 0x24, 0x2c, 0x34];

function host(mem: GuestMemory, vfIndexUsed: number) {
  const clock = new VirtualClock();
  const dev = new QmDevice({
    kind: 'zip',
    clock,
    dma: new IdentityDmaPort(mem),
    latencies: { jobBaseUs: 50 },
  });
  const vfs = dev.sriovEnable(3);
  setVft(clock, dev.pf, 0, 0, 4);
  for (let i = 0; i < 3; i++) setVft(clock, dev.pf, i + 1, 4 * (i + 1), 4);
  return { clock, dev, vf: vfs[vfIndexUsed]! };
}

function submit(mem: GuestMemory, n: number, data: Uint8Array[]) {
  const L = layout(VFB);
  for (let i = 0; i < n; i++) {
    const src = L.data + i * 0x20000;
    mem.write(src, data[i]!);
    putSqe(mem, VFB, 0, i, {
      opcode: QM_SQE_OP_ZIP_DEFLATE,
      src_addr: BigInt(src),
      src_len: data[i]!.length,
      dst_addr: BigInt(src + 0x10000),
      dst_len: 0x10000,
      tag: i,
    });
  }
}

/** The vfio driver's save (v6.16 order): pause, int check skipped, write-back, read registers. */
function save(clock: VirtualClock, vf: QmFunction) {
  const bar = vf.bar2;
  mbIssue(bar, QM_MB_CMD_PAUSE_QM, 0, 0);
  clock.udelay(1000);
  bar.writel(QM_CACHE_WB_START, 1);
  clock.udelay(100);
  expect(bar.readl(QM_CACHE_WB_DONE)).toBe(1);
  const regs = SAVED.map((o) => bar.readl(o));
  const eqc = [...Array(7).keys()].map((i) => bar.readl(QM_EQC_DW0 + 4 * i));
  const aeqc = [...Array(7).keys()].map((i) => bar.readl(QM_AEQC_DW0 + 4 * i));
  mb(clock, bar, QM_MB_CMD_SQC_BT, 1, 0);
  const sqc = [bar.readl(QM_MB_CMD_DATA_ADDR_L), bar.readl(QM_MB_CMD_DATA_ADDR_H)];
  mb(clock, bar, QM_MB_CMD_CQC_BT, 1, 0);
  const cqc = [bar.readl(QM_MB_CMD_DATA_ADDR_L), bar.readl(QM_MB_CMD_DATA_ADDR_H)];
  // v6.16: re-ring EQ/AEQ doorbells with the saved heads
  for (const [cmd, dw] of [
    [QM_DOORBELL_CMD_EQ, eqc[0]!],
    [QM_DOORBELL_CMD_AEQ, aeqc[0]!],
  ] as const) {
    const d = qmDbV2(0, cmd, dw & 0xffff, 0);
    writeq(bar, QM_DOORBELL_EQ_AEQ_BASE_V2, d.lo, d.hi);
  }
  return { regs, eqc, aeqc, sqc, cqc, vfState: bar.readl(QM_VF_STATE), queIso: bar.readl(QM_QUE_ISO_CFG_V) };
}

/** The vfio driver's load + start. */
function load(clock: VirtualClock, vf: QmFunction, s: ReturnType<typeof save>, qpNum: number) {
  const bar = vf.bar2;
  bar.writel(QM_VF_STATE, s.vfState);
  SAVED.forEach((o, i) => {
    bar.writel(o, s.regs[i]!);
  });
  bar.writel(QM_QUE_ISO_CFG_V, s.queIso);
  s.eqc.forEach((v, i) => {
    bar.writel(QM_EQC_DW0 + 4 * i, v);
  });
  s.aeqc.forEach((v, i) => {
    bar.writel(QM_AEQC_DW0 + 4 * i, v);
  });
  mb(clock, bar, QM_MB_CMD_SQC_BT, 0, 0, s.sqc[1]! * 2 ** 32 + s.sqc[0]!);
  mb(clock, bar, QM_MB_CMD_CQC_BT, 0, 0, s.cqc[1]! * 2 ** 32 + s.cqc[0]!);
  bar.writel(QM_IFC_INT_SOURCE_V, 1);
  bar.writel(QM_IFC_INT_MASK, 0);
  return () => {
    bar.writel(QM_IFC_INT_SOURCE_V, 1);
    bar.writel(QM_IFC_INT_MASK, 0);
    for (let i = 0; i < qpNum; i++) ringSq(bar, i, 0, 1);
  };
}

describe('PAUSE_QM and restart', () => {
  it('PAUSE_QM lets the job in flight finish, completes after it, and stops fetching', () => {
    const mem = new GuestMemory(64 << 20);
    const { clock, vf } = host(mem, 0);
    startFunction(clock, mem, vf, VFB, 4);
    submit(
      mem,
      3,
      [1, 2, 3].map((n) => new Uint8Array(100 * n).fill(n)),
    );
    ringSq(vf.bar2, 0, 3);
    clock.udelay(10); // first job in flight (50 µs)
    expect(vf.inFlight).toBe(1);
    mbIssue(vf.bar2, QM_MB_CMD_PAUSE_QM, 0, 0);
    clock.udelay(20);
    expect(qmMbBusy(vf.bar2.readl(QM_MB_CMD_SEND_BASE))).toBe(true);
    clock.udelay(100);
    const w0 = vf.bar2.readl(QM_MB_CMD_SEND_BASE);
    expect(qmMbBusy(w0)).toBe(false);
    expect(qmMbStatus(w0)).toBe(0);
    clock.udelay(1000);
    const q = vf.queueFor(0)!;
    expect([q.sqHead, q.sqTail, q.cqTail, vf.inFlight]).toEqual([1, 3, 1, 0]);
    // a normal doorbell does not restart a paused function
    ringSq(vf.bar2, 0, 3);
    clock.runUntilIdle();
    expect(q.sqHead).toBe(1);
    // priority 1 does, without touching the tail
    ringSq(vf.bar2, 0, 0, 1);
    clock.runUntilIdle();
    expect([q.sqHead, q.sqTail, q.cqTail, vf.paused]).toEqual([3, 3, 3, false]);
  });
});

describe('live migration of a VF between two devices', () => {
  it('source state after save equals destination state after load; the destination finishes the queue', () => {
    const mem = new GuestMemory(64 << 20);
    const src = host(mem, 0);
    const dst = host(mem, 2); // a different VF, with a different queue base
    startFunction(src.clock, mem, src.vf, VFB, 4);
    const data = [1, 2, 3].map((n) => new Uint8Array(3000 * n).map((_, i) => (i * n) % 251));
    submit(mem, 3, data);
    ringSq(src.vf.bar2, 0, 3);
    src.clock.udelay(10);
    const saved = save(src.clock, src.vf);
    expect(src.vf.queueFor(0)!.sqHead).toBe(1);

    // the destination VF checks qp_num like vf_qm_check_match
    mb(dst.clock, dst.vf.bar2, QM_MB_CMD_SQC_VFT_V2, 1, 0);
    const start = load(dst.clock, dst.vf, saved, 4);
    const a = src.vf.snapshot();
    const b = dst.vf.snapshot();
    expect(b.state).toEqual(a.state);
    expect(b.identity.qpBase).not.toBe(a.identity.qpBase);
    expect(b.transient.onChipQueues).toEqual([]);

    start();
    dst.clock.runUntilIdle();
    const L = layout(VFB);
    for (let i = 0; i < 3; i++) {
      const sqe = qm_sqe.decode(bytes(mem, L.sq(0) + i * 128, 128));
      expect(sqe.status).toBe(QM_SQE_STATUS_OK);
      expect(Buffer.from(bytes(mem, L.data + i * 0x20000 + 0x10000, sqe.out_len))).toEqual(
        deflateRawSync(data[i]!),
      );
      expect(mem.readU16(L.cq(0) + i * 16 + 14)).toBe(1); // phase continues
      expect(mem.readU32(L.eq + i * 4)).toBe(1 << 16);
    }
    expect(dst.vf.eq.tail).toBe(3);
    expect(src.vf.queueFor(0)!.cqTail).toBe(1);
  });
});
