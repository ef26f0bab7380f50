import {
  QM_DOORBELL_CMD_AEQ,
  QM_DOORBELL_CMD_CQ,
  QM_DOORBELL_CMD_EQ,
  QM_DOORBELL_CMD_SQ,
} from '../regs/doorbell.js';
import { QM_AEQ_EVENT_IRQ_VECTOR, QM_EQ_EVENT_IRQ_VECTOR } from '../regs/versions.js';
import type { QmFunction } from './qm-function.js';

/**
 * Act on one decoded doorbell of function `f`.
 *
 * - SQ, priority 0: tail = index, then fetch. SQ, priority 1: restart — the function leaves the
 *   PAUSE_QM state, a queue without an on-chip context reloads SQC/CQC from the base tables
 *   (SQC_BT/CQC_BT + qn × 32), and fetching resumes from the context's head to its tail; the index is
 *   ignored (the vfio driver rings index 0).
 * - CQ: head = index (priority 1 re-arms, no extra effect here).
 * - EQ/AEQ: head = index; the interrupt source clears when head reaches the tail, otherwise the
 *   interrupt is raised again (what the vfio driver's post-save doorbells rely on). A head that moved is
 *   the consumer's progress for the storm guard; a re-raise with the head unchanged is not.
 *
 * Kernel counterpart: the hardware behind `qm_db_v1()` / `qm_db_v2()`.
 */
export function qmRingDoorbell(
  f: QmFunction,
  qn: number,
  cmd: number,
  index: number,
  priority: number,
): void {
  if (f.tracer.enabled) f.tracer.instant('qm.db', `cmd ${cmd}`, { fun: f.fun, qn, index, priority });
  switch (cmd) {
    case QM_DOORBELL_CMD_SQ: {
      const q = f.queueFor(qn);
      if (q === undefined) return;
      if (!q.hasSqc || !q.hasCqc) f.loadFromBaseTables(q);
      if (priority === 1) {
        if (f.paused) f.resume();
      } else if (q.hasSqc) q.sqTail = index % q.sqDepth;
      f.device.engine.kick(f, q);
      return;
    }
    case QM_DOORBELL_CMD_CQ: {
      const q = f.queueFor(qn);
      if (q === undefined || !q.hasCqc) return;
      q.cqHead = index % q.cqDepth;
      f.device.engine.kick(f, q);
      return;
    }
    case QM_DOORBELL_CMD_EQ:
      if (f.eq.head !== (index & 0xffff)) f.irqProgress(QM_EQ_EVENT_IRQ_VECTOR);
      f.eq.head = index;
      if (!f.eq.pending) f.eqIntSource &= ~1;
      else if ((f.eqIntMask & 1) === 0) {
        f.eqIntSource |= 1;
        f.raiseAgain(QM_EQ_EVENT_IRQ_VECTOR);
      }
      return;
    case QM_DOORBELL_CMD_AEQ:
      if (f.aeq.head !== (index & 0xffff)) f.irqProgress(QM_AEQ_EVENT_IRQ_VECTOR);
      f.aeq.head = index;
      if (!f.aeq.pending) f.aeqIntSource &= ~1;
      else if ((f.aeqIntMask & 1) === 0) {
        f.aeqIntSource |= 1;
        f.raiseAgain(QM_AEQ_EVENT_IRQ_VECTOR);
      }
      return;
  }
}
