import { KernelError } from '@vfio-sim/platform';
import { QM_CQE_SIZE } from '../regs/contexts.js';
import { QM_MB_CMD_CQC_BT, QM_MB_CMD_SQC_BT } from '../regs/mailbox.js';
import { type QM_NOT_READY, QM_PAGE_SIZE, QM_READY, QM_VF_STATE } from '../regs/registers.js';
import { QM_HW_V3 } from '../regs/versions.js';
import { qmDisableEqAeqInterrupts, qmEnableEqAeqInterrupts, qmEqAeqCtxCfg } from './eq.js';
import type { HisiQm } from './hisi-qm.js';
import { qmMb } from './mailbox.js';
import { hisiQmStartQp, hisiQmStopQp } from './qp.js';
import { qmSetVft } from './vft.js';

/** Prefetch page type for 4 KiB pages (QM_PAGE_SIZE value). */
export const QM_PAGE_TYPE_4K = 0;

/**
 * Tell the hardware whether this function's driver runs: a V3+ VF writes QM_VF_STATE (0x60) =
 * QM_READY (0) / QM_NOT_READY (1); other functions do nothing.
 *
 * Kernel counterpart: `hisi_qm_set_state()` in qm.c.
 */
export function hisiQmSetState(qm: HisiQm, state: typeof QM_READY | typeof QM_NOT_READY): void {
  if (qm.funType === 'VF' && qm.ver >= QM_HW_V3) qm.ioBase.writel(QM_VF_STATE, state);
}

/**
 * Set the prefetch page size (V3+: QM_PAGE_SIZE = 0, 4 KiB pages). Kernel counterpart:
 * `qm_init_prefetch()`.
 */
export function qmInitPrefetch(qm: HisiQm): void {
  if (qm.ver < QM_HW_V3) return;
  qm.ioBase.writel(QM_PAGE_SIZE, QM_PAGE_TYPE_4K);
}

/**
 * Start the QM: (PF) program its own VFT → EQC and AEQC mailboxes → SQC_BT and CQC_BT mailboxes →
 * prefetch page size (V3) → EQ/AEQ doorbells with the current heads and both masks cleared → QM state
 * START, and (V3+ VF) QM_VF_STATE = QM_READY.
 *
 * Kernel counterpart: `hisi_qm_start()` → `__hisi_qm_start()` in qm.c.
 * @throws KernelError EPERM (not INIT/STOP), EINVAL (no queues), or the failing step's errno — then the
 * QM state and QM_VF_STATE are unchanged.
 */
export function hisiQmStart(qm: HisiQm): void {
  const flags = qm.status.flags;
  if (flags !== 'INIT' && flags !== 'STOP') {
    throw new KernelError('EPERM', `${qm.name}: cannot start the QM from ${flags}`);
  }
  if (qm.qpNum === 0) throw new KernelError('EINVAL', `${qm.name}: qp_num should not be 0`);
  if (qm.funType === 'PF') qmSetVft(qm, 0, qm.qpBase, qm.qpNum);
  qmEqAeqCtxCfg(qm);
  qmMb(qm, QM_MB_CMD_SQC_BT, qm.sqcDma, 0, 0);
  qmMb(qm, QM_MB_CMD_CQC_BT, qm.cqcDma, 0, 0);
  qmInitPrefetch(qm);
  qmEnableEqAeqInterrupts(qm);
  qm.status.flags = 'START';
  hisiQmSetState(qm, QM_READY);
}

/** `enum qm_stop_reason`. */
export type QmStopReason = 'NORMAL' | 'SOFT_RESET' | 'FLR';

/**
 * Stop the QM: (reset reasons) stop the started queue pairs, marking them resetting (their outstanding
 * requests go to `stopFailCb`); mask EQ/AEQ interrupts; (PF) clear its own VFT; clear the queue memory
 * (`qdma`, and the rings of the resetting queues); QM state STOP.
 *
 * Kernel counterpart: `hisi_qm_stop()` in qm.c (with `qm_stop_started_qp()` and `qm_clear_queues()`).
 * Uninit (`hisiQmSetState(qm, QM_NOT_READY)`) is separate, as in the kernel.
 * @throws KernelError EPERM (not started), EBUSY (the PF's VFT could not be cleared).
 */
export function hisiQmStop(qm: HisiQm, reason: QmStopReason = 'NORMAL'): void {
  if (qm.status.flags !== 'START') {
    throw new KernelError('EPERM', `${qm.name}: cannot stop the QM from ${qm.status.flags}`);
  }
  if (reason !== 'NORMAL') {
    for (const qp of qm.qpArray) {
      if (qp !== undefined && qp.status.flags === 'START') {
        qp.isResetting = true;
        hisiQmStopQp(qp);
      }
    }
  }
  qmDisableEqAeqInterrupts(qm);
  if (qm.funType === 'PF') {
    try {
      qmSetVft(qm, 0, 0, 0);
    } catch (e) {
      if (e instanceof KernelError)
        throw new KernelError('EBUSY', `${qm.name}: failed to set vft`, { cause: e.errno });
      throw e;
    }
  }
  qmClearQueues(qm);
  qm.status.flags = 'STOP';
}

/**
 * Clear the rings of the queue pairs a reset stopped, then the QM's own queue memory (EQEs, AEQEs, SQC and
 * CQC arrays). Kernel counterpart: `qm_clear_queues()`.
 */
function qmClearQueues(qm: HisiQm): void {
  const mem = qm.memory;
  if (mem === undefined) return;
  for (const qp of qm.qpArray) {
    if (qp === undefined || !qp.isResetting) continue;
    mem.fill(qp.sqeDma, qp.depth * qm.sqeSize, 0);
    mem.fill(qp.cqeDma, qp.depth * QM_CQE_SIZE, 0);
  }
  if (qm.qdma.size > 0) mem.fill(qm.qdma.dma, qm.qdma.size, 0);
}

/**
 * Start the QM again after a reset, then every queue pair the reset stopped (state STOP, resetting):
 * ring pointers to 0, SQC and CQC loaded again, no longer resetting.
 *
 * Kernel counterpart: `qm_restart()` in qm.c.
 * @throws KernelError from {@link hisiQmStart} or the first queue that fails to start (the rest stay
 * stopped, as in the kernel).
 */
export function qmRestart(qm: HisiQm): void {
  hisiQmStart(qm);
  for (const qp of qm.qpArray) {
    if (qp === undefined || qp.status.flags !== 'STOP' || !qp.isResetting) continue;
    try {
      hisiQmStartQp(qp);
    } catch (e) {
      if (e instanceof KernelError) qm.log.push(`Failed to start qp${qp.qpId}!`);
      throw e;
    }
    qp.isResetting = false;
  }
}
