import { KernelError } from '@vfio-sim/platform';
import {
  QM_CQ_FLAG_SHIFT,
  QM_CQ_PHASE_SHIFT,
  QM_CQE_SIZE,
  QM_QC_CQE_SIZE,
  QM_SQ_SQE_SIZE_SHIFT,
  qm_cqc,
  qm_sqc,
  qmMkCqcDw3V2,
  qmMkSqcDw3V2,
  qmMkSqcW13,
} from '../regs/contexts.js';
import { QM_DOORBELL_CMD_CQ, QM_DOORBELL_CMD_SQ } from '../regs/doorbell.js';
import { QM_MB_CMD_CQC, QM_MB_CMD_SQC, QM_MB_CMD_STOP_QP } from '../regs/mailbox.js';
import { QM_HW_V1, QM_HW_V3, QM_Q_DEPTH } from '../regs/versions.js';
import { qmDb } from './doorbell.js';
import type { HisiQm } from './hisi-qm.js';
import { qmMb } from './mailbox.js';
import { requireMemory } from './memory.js';

/** `enum qp_state`. */
export type QpState = 'NONE' | 'INIT' | 'START' | 'STOP' | 'CLOSE';

/** `struct hisi_qp_status`: the software ring pointers of one queue pair. */
export interface HisiQpStatus {
  /** Next free SQE slot (`sq_tail`). */
  sqTail: number;
  /** Next CQE to consume (`cq_head`). */
  cqHead: number;
  /** Phase a valid CQE carries (`cqc_phase`, starts true). */
  cqcPhase: boolean;
  /** SQEs submitted and not yet completed (`used`). */
  used: number;
  /** `flags`. */
  flags: QpState;
}

/**
 * One queue pair of a function: an SQ ring and a CQ ring in DMA memory.
 *
 * Kernel counterpart: `struct hisi_qp` (include/linux/hisi_acc_qm.h).
 */
export class HisiQp {
  readonly status: HisiQpStatus = { sqTail: 0, cqHead: 0, cqcPhase: true, used: 0, flags: 'NONE' };
  /** Depth of both rings (`QM_Q_DEPTH`). */
  readonly depth = QM_Q_DEPTH;
  /** Stopped by a reset flow, to be started again by {@link qmRestart} (`is_resetting`). */
  isResetting = false;
  /**
   * Called by {@link hisiQmStopQp} when a reset stops the queue with requests outstanding, where the
   * kernel's `qm_stop_qp_nolock()` calls `qp_stop_fail_cb()` (which hands every outstanding SQE to
   * `req_cb`): the queue's user learns which requests will never complete. Model: the user decides
   * from its own records (the kernel's `req_cb` would read a status the hardware never wrote).
   */
  stopFailCb: ((qp: HisiQp) => void) | undefined;

  constructor(
    readonly qm: HisiQm,
    /** Function-relative queue number (`qp_id`). */
    readonly qpId: number,
    /** SQC w13 algorithm type (`alg_type`). */
    readonly algType: number,
    /** DMA address of the SQE ring (`sqe_dma`). */
    readonly sqeDma: number,
    /** DMA address of the CQE ring (`cqe_dma`). */
    readonly cqeDma: number,
  ) {}
}

/**
 * Take a free queue pair of the function (lowest free id) with its rings at `sqeDma` / `cqeDma` and
 * zero its CQEs.
 *
 * Kernel counterpart: `hisi_qm_create_qp()` → `qm_create_qp_nolock()` in qm.c.
 * @throws KernelError EPERM (QM not initialised or started), EBUSY (all queues in use).
 */
export function hisiQmCreateQp(qm: HisiQm, algType: number, sqeDma: number, cqeDma: number): HisiQp {
  if (qm.status.flags !== 'START' && qm.status.flags !== 'INIT') {
    throw new KernelError(
      'EPERM',
      `${qm.name}: cannot create a queue pair while the QM is ${qm.status.flags}`,
    );
  }
  let id = 0;
  while (id < qm.qpNum && qm.qpArray[id] !== undefined) id++;
  if (id >= qm.qpNum) throw new KernelError('EBUSY', `${qm.name}: all ${qm.qpNum} queues of QM are busy`);
  const mem = requireMemory(qm);
  mem.fill(cqeDma, QM_CQE_SIZE * QM_Q_DEPTH, 0);
  const qp = new HisiQp(qm, id, algType, sqeDma, cqeDma);
  qp.status.flags = 'INIT';
  qm.qpArray[id] = qp;
  qm.qpInUsed++;
  return qp;
}

/**
 * Give a queue pair back. Kernel counterpart: `hisi_qm_release_qp()`.
 */
export function hisiQmReleaseQp(qp: HisiQp): void {
  const qm = qp.qm;
  if (qm.qpArray[qp.qpId] !== qp) return;
  qm.qpArray[qp.qpId] = undefined;
  qm.qpInUsed--;
  qp.status.flags = 'CLOSE';
}

/**
 * Load the queue's SQC by mailbox. The context is built in the queue's slot of the SQC array
 * (`sqcDma + qpId × 32`), which is where the hardware keeps it anyway (the kernel uses a temporary
 * buffer).
 *
 * Kernel counterpart: `qm_sq_ctx_cfg()`.
 */
export function qmSqCtxCfg(qp: HisiQp, pasid = 0): void {
  const qm = qp.qm;
  const mem = requireMemory(qm);
  const sqc = qm_sqc.zero();
  sqc.base_l = qp.sqeDma >>> 0;
  sqc.base_h = Math.floor(qp.sqeDma / 0x1_0000_0000) >>> 0;
  sqc.pasid = pasid & 0xffff;
  if (qm.ver === QM_HW_V1) {
    sqc.dw3 = (Math.log2(qm.sqeSize) << QM_SQ_SQE_SIZE_SHIFT) >>> 0;
    sqc.w8 = QM_Q_DEPTH - 1;
  } else {
    sqc.dw3 = qmMkSqcDw3V2(qm.sqeSize, QM_Q_DEPTH);
  }
  sqc.cq_num = qp.qpId;
  sqc.w13 = qmMkSqcW13(0, 1, qp.algType);
  const at = qm.sqcDma + qp.qpId * qm_sqc.size;
  mem.write(at, qm_sqc.encode(sqc));
  qmMb(qm, QM_MB_CMD_SQC, at, qp.qpId, 0);
}

/**
 * Load the queue's CQC by mailbox (built in the CQC array slot, as {@link qmSqCtxCfg}).
 *
 * Kernel counterpart: `qm_cq_ctx_cfg()`.
 */
export function qmCqCtxCfg(qp: HisiQp, pasid = 0): void {
  const qm = qp.qm;
  const mem = requireMemory(qm);
  const cqc = qm_cqc.zero();
  cqc.base_l = qp.cqeDma >>> 0;
  cqc.base_h = Math.floor(qp.cqeDma / 0x1_0000_0000) >>> 0;
  cqc.pasid = pasid & 0xffff;
  if (qm.ver === QM_HW_V1) {
    cqc.dw3 = (QM_QC_CQE_SIZE << 12) >>> 0;
    cqc.w8 = QM_Q_DEPTH - 1;
  } else {
    cqc.dw3 = qmMkCqcDw3V2(QM_QC_CQE_SIZE, QM_Q_DEPTH);
  }
  cqc.dw6 = (1 << QM_CQ_PHASE_SHIFT) | (1 << QM_CQ_FLAG_SHIFT);
  const at = qm.cqcDma + qp.qpId * qm_cqc.size;
  mem.write(at, qm_cqc.encode(cqc));
  qmMb(qm, QM_MB_CMD_CQC, at, qp.qpId, 0);
}

/**
 * Start a queue pair: reset its ring pointers, load SQC then CQC.
 *
 * Kernel counterpart: `hisi_qm_start_qp()` → `qm_start_qp_nolock()` → `qm_qp_ctx_cfg()`.
 * @throws KernelError EPERM (QM not started, or the queue is not INIT/STOP), or the mailbox errno (the
 * queue then stays in its previous state).
 */
export function hisiQmStartQp(qp: HisiQp, pasid = 0): void {
  const qm = qp.qm;
  const s = qp.status;
  if (qm.status.flags !== 'START' || (s.flags !== 'INIT' && s.flags !== 'STOP')) {
    throw new KernelError(
      'EPERM',
      `${qm.name}: cannot start qp ${qp.qpId} (${s.flags}, QM ${qm.status.flags})`,
    );
  }
  s.sqTail = 0;
  s.cqHead = 0;
  s.cqcPhase = true;
  s.used = 0;
  qmSqCtxCfg(qp, pasid);
  qmCqCtxCfg(qp, pasid);
  s.flags = 'START';
}

/**
 * Stop a queue pair. On V3 the hardware drains it (mailbox STOP_QP, queue = qp id); the model does not
 * reproduce the V1/V2 software drain (SQC/CQC dump loop).
 *
 * A queue stopped by a reset ({@link HisiQp.isResetting}) with requests outstanding hands them to
 * {@link HisiQp.stopFailCb}. Stopping a queue that is already stopped clears `isResetting` (it will not be
 * restarted after the reset).
 *
 * Kernel counterpart: `hisi_qm_stop_qp()` → `qm_stop_qp_nolock()` → `qm_drain_qp()` / `qm_stop_qp()`,
 * then `qp_stop_fail_cb()`.
 * @throws KernelError EPERM (queue not started). A failed drain is logged by the kernel and the queue is
 * still stopped; the model does the same and returns the drain's errno.
 */
export function hisiQmStopQp(qp: HisiQp): KernelError | undefined {
  const s = qp.status;
  if (s.flags === 'STOP') {
    qp.isResetting = false;
    return undefined;
  }
  if (!((qp.qm.status.flags === 'START' && s.flags === 'START') || s.flags === 'INIT')) {
    throw new KernelError('EPERM', `${qp.qm.name}: cannot stop qp ${qp.qpId} (${s.flags})`);
  }
  s.flags = 'STOP';
  let drained: KernelError | undefined;
  if (qp.qm.ver >= QM_HW_V3) {
    try {
      qmMb(qp.qm, QM_MB_CMD_STOP_QP, 0, qp.qpId, 0);
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
      qp.qm.log.push(`Failed to stop qp(${qp.qpId})!`);
      drained = e;
    }
  }
  if (qp.isResetting && s.used > 0) qp.stopFailCb?.(qp);
  return drained;
}

/**
 * Queue one SQE: copy it into the slot at the SQ tail and ring the SQ doorbell with the new tail.
 *
 * Kernel counterpart: `hisi_qp_send()` in qm.c.
 * @returns the SQ slot used.
 * @throws KernelError EAGAIN (queue or QM stopped), EBUSY (ring full: depth − 1 in flight).
 */
export function hisiQpSend(qp: HisiQp, sqe: Uint8Array): number {
  const qm = qp.qm;
  const s = qp.status;
  if (s.flags === 'STOP' || qm.status.flags === 'STOP' || qp.isResetting) {
    throw new KernelError('EAGAIN', `${qm.name}: qp ${qp.qpId} is stopped or resetting`);
  }
  if (s.flags !== 'START') throw new KernelError('EAGAIN', `${qm.name}: qp ${qp.qpId} is not started`);
  if (s.used === qp.depth - 1) throw new KernelError('EBUSY', `${qm.name}: qp ${qp.qpId} is full`);
  const slot = s.sqTail;
  const next = (slot + 1) % qp.depth;
  requireMemory(qm).write(qp.sqeDma + slot * qm.sqeSize, sqe.subarray(0, qm.sqeSize));
  qmDb(qm, qp.qpId, QM_DOORBELL_CMD_SQ, next, 0);
  s.used++;
  s.sqTail = next;
  return slot;
}

/**
 * Consume the queue's completed CQEs (phase bit = `cqcPhase`): for each, call `reqCb` with the SQ slot
 * the CQE names (`sq_head`), advance the CQ head (flipping the phase at the end of the ring) and ring
 * the CQ doorbell; finally ring the CQ doorbell with priority 1 to re-arm the CQ interrupt.
 *
 * Kernel counterpart: `qm_poll_req_cb()` (with `qm_cq_head_update()`).
 * @returns the number of completions consumed.
 */
export function qmPollReqCb(qp: HisiQp, reqCb: (sqSlot: number, cqeAddr: number) => void): number {
  const qm = qp.qm;
  const mem = requireMemory(qm);
  const s = qp.status;
  let n = 0;
  for (;;) {
    const cqe = qp.cqeDma + s.cqHead * QM_CQE_SIZE;
    const phase = (mem.readU16(cqe + 14) & 1) === 1;
    if (phase !== s.cqcPhase) break;
    reqCb(mem.readU16(cqe + 8), cqe);
    if (s.cqHead === qp.depth - 1) {
      s.cqcPhase = !s.cqcPhase;
      s.cqHead = 0;
    } else {
      s.cqHead++;
    }
    qmDb(qm, qp.qpId, QM_DOORBELL_CMD_CQ, s.cqHead, 0);
    if (s.used > 0) s.used--;
    n++;
  }
  qmDb(qm, qp.qpId, QM_DOORBELL_CMD_CQ, s.cqHead, 1);
  return n;
}
