import type { Tracer } from '@vfio-sim/platform';
import { QM_CQE_ERROR, QM_CQE_SIZE } from '../regs/contexts.js';
import { QM_AXI_BRESP } from '../regs/hw-error.js';
import {
  QM_SQE_SIZE,
  QM_SQE_STATUS_BAD_INPUT,
  QM_SQE_STATUS_DMA_FAULT,
  QM_SQE_STATUS_OK,
  qm_sqe,
} from '../regs/sqe.js';
import { QM_AEQ_EVENT_IRQ_VECTOR, QM_EQ_EVENT_IRQ_VECTOR } from '../regs/versions.js';
import { EMPTY_BYTES, type QmJobResult, runEngineJob } from './engines.js';
import { jobLatencyUs } from './latencies.js';
import type { QmDevice } from './qm-device.js';
import type { QmFunction } from './qm-function.js';
import type { QmQueue } from './qm-queue.js';

/** Largest buffer one job may name (larger → QM_SQE_STATUS_BAD_INPUT). */
export const QM_MAX_JOB_BYTES = 16 << 20;

const OFF_SRC = qm_sqe.offsetOf('src_addr');
const OFF_DST = qm_sqe.offsetOf('dst_addr');
const OFF_KEY = qm_sqe.offsetOf('key_addr');
const OFF_IV = qm_sqe.offsetOf('iv_addr');
const OFF_SRC_LEN = qm_sqe.offsetOf('src_len');
const OFF_DST_LEN = qm_sqe.offsetOf('dst_len');
const OFF_KEY_LEN = qm_sqe.offsetOf('key_len');
const OFF_IV_LEN = qm_sqe.offsetOf('iv_len');
const OFF_OUT_LEN = qm_sqe.offsetOf('out_len');
const OFF_STATUS = qm_sqe.offsetOf('status');
const OFF_TAG = qm_sqe.offsetOf('tag');

/**
 * The queue engine: fetches SQEs between an SQ's head and tail (one job in flight per queue), runs each
 * on the accelerator ({@link runEngineJob}) with its inputs read by DMA, and after the job's latency
 * writes the output, the SQE's status/out_len, a CQE (phase bit; `sq_head` = the SQ slot of the job, as
 * `qm_poll_req_cb()` reads it) and an EQE, then raises the EQ
 * interrupt. A paused function, a stopped queue or an `engine-busy` fault fetches nothing; jobs already
 * in the engine finish (PAUSE_QM waits for them), but a job whose queue was stopped (STOP_QP) or reset
 * while it ran writes nothing: its output, SQE status, CQE and EQE never land ({@link QmQueue.stop}).
 *
 * Failed DMA: a job's own buffers are the job's business (status QM_SQE_STATUS_DMA_FAULT in the SQE and
 * CQE). A failed write of queue memory — the SQE's status/out_len, the CQE, the EQE, an AEQE — is a
 * hardware error: nothing after it is written, no producer pointer advances past the entry that was not
 * written, no interrupt announces it, the queue stops (as after STOP_QP), and the QM records
 * QM_AXI_BRESP in QM_ABNORMAL_INT_SOURCE for the PF driver (`qm_abnormal_irq()`). An SQE that cannot be
 * fetched stops the queue and posts an AEQE `QM_CQE_ERROR << 17 | qn`.
 *
 * Kernel counterpart: the QM's SQ scheduler and the accelerator cores behind it (what `qm_work_process()`
 * / `qm_poll_req_cb()` consume).
 */
export class QmEngine {
  private readonly sqe = new Uint8Array(QM_SQE_SIZE);
  private readonly sqeView = new DataView(this.sqe.buffer);
  private readonly cqe = new Uint8Array(QM_CQE_SIZE);
  private readonly cqeView = new DataView(this.cqe.buffer);

  /** The job tracks, one per (function, queue): a queue runs one job at a time, so its slices never overlap. */
  private readonly jobTracers = new Map<string, Tracer>();

  constructor(private readonly dev: QmDevice) {}

  /** Start the next job of `q` if it may run. */
  kick(f: QmFunction, q: QmQueue): void {
    if (q.busy || q.stopped || !q.hasSqc || !q.hasCqc || f.paused) return;
    if (q.pendingSqes === 0) return;
    if (f.faults.engineBusy) {
      f.faults.hit('engine-busy', `qn ${q.qn}`);
      return;
    }
    const sqeAddr = q.sqBase + q.sqHead * q.sqeSize;
    if (!f.dmaRead(sqeAddr, this.sqe)) {
      q.stop();
      this.aeqEvent(f, q.qn, QM_CQE_ERROR);
      return;
    }
    const v = this.sqeView;
    const opcode = v.getUint32(0, true);
    const tag = v.getUint32(OFF_TAG, true);
    const srcLen = v.getUint32(OFF_SRC_LEN, true);
    const dstLen = v.getUint32(OFF_DST_LEN, true);
    const keyLen = v.getUint32(OFF_KEY_LEN, true);
    const ivLen = v.getUint32(OFF_IV_LEN, true);
    const dst = u64(v, OFF_DST);
    const slot = q.sqHead;
    q.sqHead = (q.sqHead + 1) % q.sqDepth;

    let result: QmJobResult;
    if (srcLen > QM_MAX_JOB_BYTES || keyLen > QM_MAX_JOB_BYTES || ivLen > QM_MAX_JOB_BYTES) {
      result = { status: QM_SQE_STATUS_BAD_INPUT, out: undefined };
    } else {
      const src = this.fetch(f, u64(v, OFF_SRC), srcLen);
      const key = this.fetch(f, u64(v, OFF_KEY), keyLen);
      const iv = this.fetch(f, u64(v, OFF_IV), ivLen);
      result =
        src === undefined || key === undefined || iv === undefined
          ? { status: QM_SQE_STATUS_DMA_FAULT, out: undefined }
          : runEngineJob(this.dev.kind, { opcode, src, key, iv, dstLen });
    }

    q.busy = true;
    f.inFlight++;
    const gen = f.generation;
    const epoch = q.epoch;
    const start = this.dev.clock.now();
    this.dev.clock.after(jobLatencyUs(this.dev.latencies, srcLen), () => {
      if (gen !== f.generation) return;
      q.busy = false;
      f.inFlight--;
      if (epoch === q.epoch) this.complete(f, q, slot, sqeAddr, dst, result, tag);
      if (this.dev.tracer.enabled) {
        this.jobTracer(f.fun, q.qn).slice('qm.job', `op ${opcode}`, start, {
          fun: f.fun,
          qn: q.qn,
          status: result.status,
        });
      }
      f.jobDone();
      this.kick(f, q);
    });
  }

  /**
   * The track of the jobs of function `fun`'s queue `qn` (`qm-hw fun 1 qp 0`, beside the device's
   * `qm-hw`): jobs of several queues run at once, and slices on one track must nest.
   */
  private jobTracer(fun: number, qn: number): Tracer {
    const key = `${fun}:${qn}`;
    let t = this.jobTracers.get(key);
    if (t === undefined) {
      t = this.dev.tracer.forThread(`qm-hw fun ${fun} qp ${qn}`);
      this.jobTracers.set(key, t);
    }
    return t;
  }

  private fetch(f: QmFunction, addr: number, len: number): Uint8Array | undefined {
    if (len === 0) return EMPTY_BYTES;
    const buf = new Uint8Array(len);
    return f.dmaRead(addr, buf) ? buf : undefined;
  }

  private complete(
    f: QmFunction,
    q: QmQueue,
    slot: number,
    sqeAddr: number,
    dst: number,
    r: QmJobResult,
    tag: number,
  ): void {
    let status = r.status;
    let outLen = 0;
    if (status === QM_SQE_STATUS_OK && r.out !== undefined) {
      outLen = r.out.length;
      if (outLen > 0 && !f.dmaWrite(dst, r.out)) {
        status = QM_SQE_STATUS_DMA_FAULT;
        outLen = 0;
      }
    }
    const failedAt = this.writeCompletion(f, q, slot, sqeAddr, status, outLen, tag);
    if (failedAt < 0) return;
    q.stop();
    f.dmaError(QM_AXI_BRESP, failedAt);
  }

  /**
   * Write the SQE's out_len/status, the CQE and the EQE, each only after the one before it was written,
   * advancing the CQ/EQ tails past written entries only, and raise the EQ interrupt.
   * @returns -1, or the IOVA of the write that failed.
   */
  private writeCompletion(
    f: QmFunction,
    q: QmQueue,
    slot: number,
    sqeAddr: number,
    status: number,
    outLen: number,
    tag: number,
  ): number {
    if (!f.dmaWriteU32(sqeAddr + OFF_OUT_LEN, outLen)) return sqeAddr + OFF_OUT_LEN;
    if (!f.dmaWriteU32(sqeAddr + OFF_STATUS, status)) return sqeAddr + OFF_STATUS;
    if (!q.hasCqc) return -1;
    const c = this.cqeView;
    c.setUint32(0, status, true);
    c.setUint16(4, tag & 0xffff, true);
    c.setUint16(6, 0, true);
    c.setUint16(8, slot, true); // sq_head: the SQ slot of the job this CQE completes
    c.setUint16(10, q.qn, true);
    c.setUint16(12, 0, true);
    c.setUint16(14, q.cqPhase, true);
    const cqeAddr = q.cqBase + q.cqTail * QM_CQE_SIZE;
    if (!f.dmaWrite(cqeAddr, this.cqe)) return cqeAddr;
    q.cqTail++;
    if (q.cqTail >= q.cqDepth) {
      q.cqTail = 0;
      q.cqPhase ^= 1;
    }
    const eq = f.eq;
    if (!eq.loaded) return -1;
    const eqeAddr = eq.nextEntryAddress();
    if (!f.dmaWriteU32(eqeAddr, eq.nextEntryValue(q.qn))) return eqeAddr;
    eq.advance();
    f.eqIntSource |= 1;
    if ((f.eqIntMask & 1) === 0) f.raise(QM_EQ_EVENT_IRQ_VECTOR);
    return -1;
  }

  /**
   * Post an AEQE (`type` << 17 | qn) and raise the AEQ interrupt. An AEQE that cannot be written is a
   * hardware error (QM_AXI_BRESP); the AEQ tail stays where it was.
   */
  aeqEvent(f: QmFunction, qn: number, type: number): void {
    const aeq = f.aeq;
    if (!aeq.loaded) return;
    const at = aeq.nextEntryAddress();
    if (!f.dmaWriteU32(at, aeq.nextEntryValue(((type << 17) | (qn & 0xffff)) >>> 0))) {
      f.dmaError(QM_AXI_BRESP, at);
      return;
    }
    aeq.advance();
    f.aeqIntSource |= 1;
    if ((f.aeqIntMask & 1) === 0) f.raise(QM_AEQ_EVENT_IRQ_VECTOR);
  }
}

function u64(v: DataView, at: number): number {
  return v.getUint32(at + 4, true) * 0x1_0000_0000 + v.getUint32(at, true);
}
