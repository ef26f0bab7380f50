import {
  QM_AEQE_TYPE_SHIFT,
  QM_EQ_OVERFLOW,
  QM_EQC_PHASE_SHIFT,
  QM_EQE_CQN_MASK,
  QM_EQE_PHASE_SHIFT,
  QM_EQE_SIZE,
  qm_aeqc,
  qm_eqc,
} from '../regs/contexts.js';
import { QM_DOORBELL_CMD_AEQ, QM_DOORBELL_CMD_EQ } from '../regs/doorbell.js';
import { QM_MB_CMD_AEQC, QM_MB_CMD_EQC } from '../regs/mailbox.js';
import {
  QM_VF_AEQ_INT_MASK,
  QM_VF_AEQ_INT_SOURCE,
  QM_VF_EQ_INT_MASK,
  QM_VF_EQ_INT_SOURCE,
} from '../regs/registers.js';
import { QM_EQ_DEPTH, QM_HW_V1, QM_Q_DEPTH } from '../regs/versions.js';
import { qmDb } from './doorbell.js';
import type { HisiQm } from './hisi-qm.js';
import { qmMb } from './mailbox.js';
import { requireMemory } from './memory.js';

/** EQC dw3 on V1: 4-byte EQEs (`QM_EQE_AEQE_SIZE` = 2 << 12). */
export const QM_EQE_AEQE_SIZE = 2 << 12;

/** Reset the EQ/AEQ heads to 0 and phases to 1. Kernel counterpart: `qm_init_eq_aeq_status()`. */
export function qmInitEqAeqStatus(qm: HisiQm): void {
  qm.status.eqHead = 0;
  qm.status.aeqHead = 0;
  qm.status.eqcPhase = true;
  qm.status.aeqcPhase = true;
}

/**
 * Build the EQC at `qm.eqcDma` (base = `eqeDma`, dw6 = (2048 − 1) | phase) and load it by mailbox.
 * Kernel counterpart: `qm_eq_ctx_cfg()`.
 * @throws KernelError the mailbox errno.
 */
export function qmEqCtxCfg(qm: HisiQm): void {
  const eqc = qm_eqc.zero();
  eqc.base_l = qm.eqeDma >>> 0;
  eqc.base_h = Math.floor(qm.eqeDma / 0x1_0000_0000) >>> 0;
  if (qm.ver === QM_HW_V1) eqc.dw3 = QM_EQE_AEQE_SIZE;
  eqc.dw6 = ((QM_EQ_DEPTH - 1) | (1 << QM_EQC_PHASE_SHIFT)) >>> 0;
  requireMemory(qm).write(qm.eqcDma, qm_eqc.encode(eqc));
  qmMb(qm, QM_MB_CMD_EQC, qm.eqcDma, 0, 0);
}

/**
 * Build the AEQC at `qm.aeqcDma` (base = `aeqeDma`, dw6 = (1024 − 1) | phase) and load it by mailbox.
 * Kernel counterpart: `qm_aeq_ctx_cfg()`.
 */
export function qmAeqCtxCfg(qm: HisiQm): void {
  const aeqc = qm_aeqc.zero();
  aeqc.base_l = qm.aeqeDma >>> 0;
  aeqc.base_h = Math.floor(qm.aeqeDma / 0x1_0000_0000) >>> 0;
  aeqc.dw6 = ((QM_Q_DEPTH - 1) | (1 << QM_EQC_PHASE_SHIFT)) >>> 0;
  requireMemory(qm).write(qm.aeqcDma, qm_aeqc.encode(aeqc));
  qmMb(qm, QM_MB_CMD_AEQC, qm.aeqcDma, 0, 0);
}

/** Reset the EQ/AEQ status, then load EQC and AEQC. Kernel counterpart: `qm_eq_aeq_ctx_cfg()`. */
export function qmEqAeqCtxCfg(qm: HisiQm): void {
  qmInitEqAeqStatus(qm);
  qmEqCtxCfg(qm);
  qmAeqCtxCfg(qm);
}

/**
 * Clear the EQ/AEQ interrupt sources by ringing the AEQ and EQ doorbells with the current heads, then
 * unmask both interrupts. Kernel counterpart: `qm_enable_eq_aeq_interrupts()`.
 */
export function qmEnableEqAeqInterrupts(qm: HisiQm): void {
  qmDb(qm, 0, QM_DOORBELL_CMD_AEQ, qm.status.aeqHead, 0);
  qmDb(qm, 0, QM_DOORBELL_CMD_EQ, qm.status.eqHead, 0);
  qm.ioBase.writel(QM_VF_EQ_INT_MASK, 0);
  qm.ioBase.writel(QM_VF_AEQ_INT_MASK, 0);
}

/** Mask the EQ and AEQ interrupts. Kernel counterpart: `qm_disable_eq_aeq_interrupts()`. */
export function qmDisableEqAeqInterrupts(qm: HisiQm): void {
  qm.ioBase.writel(QM_VF_EQ_INT_MASK, 1);
  qm.ioBase.writel(QM_VF_AEQ_INT_MASK, 1);
}

/**
 * Collect the completed queues from the EQ: while the EQE at the head carries the expected phase,
 * record its CQ number and advance (flipping the phase at the ring end), at most 1023 entries; then ring
 * the EQ doorbell with the new head.
 *
 * Kernel counterpart: `qm_get_complete_eqe_num()`.
 * @returns the CQ numbers in EQ order.
 */
export function qmGetCompleteEqes(qm: HisiQm): number[] {
  const mem = requireMemory(qm);
  const st = qm.status;
  const cqns: number[] = [];
  for (;;) {
    const dw0 = mem.readU32(qm.eqeDma + st.eqHead * QM_EQE_SIZE);
    if (((dw0 >>> QM_EQE_PHASE_SHIFT) & 1) !== (st.eqcPhase ? 1 : 0)) break;
    cqns.push(dw0 & QM_EQE_CQN_MASK);
    if (st.eqHead === QM_EQ_DEPTH - 1) {
      st.eqcPhase = !st.eqcPhase;
      st.eqHead = 0;
    } else {
      st.eqHead++;
    }
    if (cqns.length === (QM_EQ_DEPTH >> 1) - 1) break;
  }
  qmDb(qm, 0, QM_DOORBELL_CMD_EQ, st.eqHead, 0);
  return cqns;
}

/**
 * The EQ interrupt (vector 0): if QM_VF_EQ_INT_SOURCE is set, collect the completed queues and call
 * `pollQp` for each (newest first, as the kernel's work handler does); otherwise count a spurious
 * interrupt and ring the EQ doorbell with the current head.
 *
 * Kernel counterpart: `qm_irq()` → `do_qm_irq()` and the `qm_work_process()` work it queues.
 * @returns whether the interrupt was handled (IRQ_HANDLED).
 */
export function qmEqIrq(qm: HisiQm, pollQp: (qpId: number) => void): boolean {
  if (qm.ioBase.readl(QM_VF_EQ_INT_SOURCE) !== 0) {
    const mem = requireMemory(qm);
    const dw0 = mem.readU32(qm.eqeDma + qm.status.eqHead * QM_EQE_SIZE);
    if (((dw0 >>> QM_EQE_PHASE_SHIFT) & 1) === (qm.status.eqcPhase ? 1 : 0)) {
      const cqns = qmGetCompleteEqes(qm);
      for (let i = cqns.length - 1; i >= 0; i--) pollQp(cqns[i] as number);
      return true;
    }
  }
  qm.dfx.errIrqCnt++;
  qmDb(qm, 0, QM_DOORBELL_CMD_EQ, qm.status.eqHead, 0);
  return false;
}

/** An asynchronous event (AEQE): `type` QM_CQ_OVERFLOW / QM_EQ_OVERFLOW / QM_CQE_ERROR, queue number. */
export interface QmAeqEvent {
  readonly type: number;
  readonly qpId: number;
}

/**
 * The AEQ interrupt (vector 1): if QM_VF_AEQ_INT_SOURCE is set, consume the AEQEs with the expected
 * phase (stopping early on an EQ overflow, which the kernel answers with a function reset), then ring
 * the AEQ doorbell with the new head.
 *
 * Kernel counterpart: `qm_aeq_irq()` + `qm_aeq_thread()`.
 * @returns the events, for the caller to act on (the kernel disables the queue / resets the function).
 */
export function qmAeqIrq(qm: HisiQm): QmAeqEvent[] {
  qm.dfx.aeqIrqCnt++;
  if (qm.ioBase.readl(QM_VF_AEQ_INT_SOURCE) === 0) return [];
  const mem = requireMemory(qm);
  const st = qm.status;
  const events: QmAeqEvent[] = [];
  for (;;) {
    const dw0 = mem.readU32(qm.aeqeDma + st.aeqHead * QM_EQE_SIZE);
    if (((dw0 >>> QM_EQE_PHASE_SHIFT) & 1) !== (st.aeqcPhase ? 1 : 0)) break;
    const ev = { type: dw0 >>> QM_AEQE_TYPE_SHIFT, qpId: dw0 & QM_EQE_CQN_MASK };
    events.push(ev);
    if (ev.type === QM_EQ_OVERFLOW) return events;
    if (st.aeqHead === QM_Q_DEPTH - 1) {
      st.aeqcPhase = !st.aeqcPhase;
      st.aeqHead = 0;
    } else {
      st.aeqHead++;
    }
  }
  qmDb(qm, 0, QM_DOORBELL_CMD_AEQ, st.aeqHead, 0);
  return events;
}
