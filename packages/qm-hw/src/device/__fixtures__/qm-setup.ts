import { GuestMemory, IdentityDmaPort, type MmioRegion, VirtualClock, writeq } from '@vfio-sim/platform';
import { HisiQm } from '../../driver/hisi-qm.js';
import { qmSetVftCommon } from '../../driver/vft.js';
import { QM_EQE_SIZE, qm_cqc, qm_eqc, qm_sqc, qmMkCqcDw3V2, qmMkSqcDw3V2 } from '../../regs/contexts.js';
import { QM_DOORBELL_CMD_SQ, qmDbV2 } from '../../regs/doorbell.js';
import {
  QM_MB_CMD_AEQC,
  QM_MB_CMD_CQC,
  QM_MB_CMD_CQC_BT,
  QM_MB_CMD_EQC,
  QM_MB_CMD_SQC,
  QM_MB_CMD_SQC_BT,
  qmMbEncode,
} from '../../regs/mailbox.js';
import {
  QM_CQC_VFT,
  QM_DOORBELL_SQ_CQ_BASE_V2,
  QM_IFC_INT_MASK,
  QM_IFC_INT_SOURCE_V,
  QM_MB_CMD_SEND_BASE,
  QM_SQC_VFT,
  QM_VF_AEQ_INT_MASK,
  QM_VF_EQ_INT_MASK,
  QM_VF_STATE,
} from '../../regs/registers.js';
import { QM_SQE_SIZE, qm_sqe } from '../../regs/sqe.js';
import type { QmKind } from '../../regs/versions.js';
import { QmDevice, type QmDeviceOptions } from '../qm-device.js';
import type { QmFunction } from '../qm-function.js';

/** Guest-memory layout of the test driver for one function (base `b`). */
export const layout = (b: number) => ({
  eq: b + 0x0000,
  aeq: b + 0x1000,
  sqcBt: b + 0x2000,
  cqcBt: b + 0x3000,
  ctx: b + 0x4000,
  sq: (qn: number) => b + 0x10000 + qn * 0x4000,
  cq: (qn: number) => b + 0x10000 + qn * 0x4000 + 0x2000,
  data: b + 0x100000,
});

export const DEPTH = 16;

/** Issue one mailbox command (does not wait). */
export function mbIssue(bar: MmioRegion, cmd: number, op: number, queue: number, addr = 0): void {
  bar.write(
    QM_MB_CMD_SEND_BASE,
    qmMbEncode(new Uint8Array(16), cmd, op, queue, addr % 2 ** 32, Math.floor(addr / 2 ** 32)),
  );
}

/** Issue a mailbox command and let the hardware finish it; returns word 0. */
export function mb(
  clock: VirtualClock,
  bar: MmioRegion,
  cmd: number,
  op: number,
  queue: number,
  addr = 0,
): number {
  mbIssue(bar, cmd, op, queue, addr);
  clock.udelay(200);
  return bar.readl(QM_MB_CMD_SEND_BASE);
}

/**
 * Program one function's VFT (SQC then CQC) from the PF with the driver library's
 * {@link qmSetVftCommon} (the RDY handshake included), without its range check against `ctrl_qp_num`.
 */
export function setVft(clock: VirtualClock, pf: QmFunction, fun: number, base: number, num: number): void {
  const qm = new HisiQm({ ioBase: pf.bar2, clock, funType: 'PF', ver: pf.device.version });
  qmSetVftCommon(qm, QM_SQC_VFT, fun, base, num);
  qmSetVftCommon(qm, QM_CQC_VFT, fun, base, num);
}

/** A device with `numVfs` VFs of `qpsPerVf` queues each (PF owns the first `qpsPerVf`), identity DMA. */
export function makeDevice(kind: QmKind, numVfs = 2, qpsPerVf = 4, extra: Partial<QmDeviceOptions> = {}) {
  const clock = new VirtualClock();
  const mem = new GuestMemory(64 << 20);
  const dma = new IdentityDmaPort(mem);
  const dev = new QmDevice({ kind, clock, dma, ...extra });
  const vfs = dev.sriovEnable(numVfs);
  setVft(clock, dev.pf, 0, 0, qpsPerVf);
  for (let i = 0; i < vfs.length; i++) setVft(clock, dev.pf, i + 1, qpsPerVf * (i + 1), qpsPerVf);
  return { clock, mem, dma, dev, vfs };
}

/** What hisi_qm_start + per-queue start leave in the hardware (guest driver view). */
export function startFunction(
  clock: VirtualClock,
  mem: GuestMemory,
  f: QmFunction,
  base: number,
  qps: number,
): void {
  const L = layout(base);
  const bar = f.bar2;
  mem.write(L.ctx, qm_eqc.encode({ ...qm_eqc.zero(), base_l: L.eq, dw6: (DEPTH - 1) | (1 << 16) }));
  mb(clock, bar, QM_MB_CMD_EQC, 0, 0, L.ctx);
  mem.write(L.ctx, qm_eqc.encode({ ...qm_eqc.zero(), base_l: L.aeq, dw6: (DEPTH - 1) | (1 << 16) }));
  mb(clock, bar, QM_MB_CMD_AEQC, 0, 0, L.ctx);
  mb(clock, bar, QM_MB_CMD_SQC_BT, 0, 0, L.sqcBt);
  mb(clock, bar, QM_MB_CMD_CQC_BT, 0, 0, L.cqcBt);
  bar.writel(QM_VF_EQ_INT_MASK, 0);
  bar.writel(QM_VF_AEQ_INT_MASK, 0);
  bar.writel(QM_VF_STATE, 0);
  bar.writel(QM_IFC_INT_SOURCE_V, 1); // qm_cmd_init: clear, then unmask IFC
  bar.writel(QM_IFC_INT_MASK, 0);
  for (let qn = 0; qn < qps; qn++) {
    mem.write(
      L.ctx,
      qm_sqc.encode({
        ...qm_sqc.zero(),
        base_l: L.sq(qn),
        dw3: qmMkSqcDw3V2(QM_SQE_SIZE, DEPTH),
        cq_num: qn,
      }),
    );
    mb(clock, bar, QM_MB_CMD_SQC, 0, qn, L.ctx);
    mem.write(
      L.ctx,
      qm_cqc.encode({ ...qm_cqc.zero(), base_l: L.cq(qn), dw3: qmMkCqcDw3V2(4, DEPTH), dw6: 3 }),
    );
    mb(clock, bar, QM_MB_CMD_CQC, 0, qn, L.ctx);
  }
}

/** Write an SQE at slot `slot` of queue `qn`. */
export function putSqe(
  mem: GuestMemory,
  base: number,
  qn: number,
  slot: number,
  sqe: Partial<ReturnType<typeof qm_sqe.zero>>,
): number {
  const at = layout(base).sq(qn) + slot * QM_SQE_SIZE;
  mem.write(at, qm_sqe.encode({ ...qm_sqe.zero(), ...sqe }));
  return at;
}

/** Ring the V2 SQ doorbell (BAR2 0x1000). */
export function ringSq(bar: MmioRegion, qn: number, tail: number, priority = 0): void {
  const d = qmDbV2(qn, QM_DOORBELL_CMD_SQ, tail, priority);
  writeq(bar, QM_DOORBELL_SQ_CQ_BASE_V2, d.lo, d.hi);
}

/** Read the EQE at index `i` of the function's EQ. */
export function eqe(mem: GuestMemory, base: number, i: number): number {
  return mem.readU32(layout(base).eq + i * QM_EQE_SIZE);
}

/** Read bytes. */
export function bytes(mem: GuestMemory, at: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  mem.read(at, out);
  return out;
}
