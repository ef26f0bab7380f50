import { QM_CQ_FLAG_SHIFT, QM_CQ_PHASE_SHIFT, QM_SQ_SQE_SIZE_SHIFT, qmQcDepthV2 } from '../regs/contexts.js';
import { QM_HW_V1 } from '../regs/versions.js';
import { bytesToHex } from './bytes-hex.js';

/** Plain view of one queue pair for snapshots. */
export interface QmQueueState {
  /** Queue number as its function addresses it (VF: function-relative). */
  qn: number;
  stopped: boolean;
  sqc: { head: number; tail: number; base: string; depth: number; sqeSize: number; cqNum: number } | null;
  cqc: { head: number; tail: number; base: string; depth: number; phase: number } | null;
  /** The raw 32-byte contexts (hex), with live head/tail/phase folded in. */
  sqcRaw: string | null;
  cqcRaw: string | null;
}

/**
 * One hardware queue pair (SQ + CQ): the on-chip copies of its SQC and CQC and the live head/tail
 * pointers the hardware moves. Indexed by absolute queue number in the device.
 *
 * Kernel counterpart: what `struct qm_sqc` / `struct qm_cqc` describe inside the QM (the contexts are
 * cached on chip; QM_CACHE_WB_START writes them back to the SQC/CQC base tables in memory).
 */
export class QmQueue {
  readonly sqc = new Uint8Array(32);
  readonly cqc = new Uint8Array(32);
  private readonly sqcView = new DataView(this.sqc.buffer);
  private readonly cqcView = new DataView(this.cqc.buffer);
  hasSqc = false;
  hasCqc = false;
  /** STOP_QP received (cleared by the next SQC load). */
  stopped = false;
  /** A job of this queue is in the engine. */
  busy = false;
  /**
   * Bumped by every {@link stop} and {@link reset}: a job fetched under an older epoch belongs to a queue
   * that has since been stopped, and none of its writes may land.
   */
  epoch = 0;
  /** Queue number as the owning function addresses it. */
  qn = 0;

  sqHead = 0;
  sqTail = 0;
  sqBase = 0;
  sqDepth = 1;
  sqeSize = 128;
  cqNum = 0;

  cqHead = 0;
  cqTail = 0;
  cqBase = 0;
  cqDepth = 1;
  cqPhase = 1;

  constructor(readonly abs: number) {}

  /**
   * Load an SQC image (mailbox QM_MB_CMD_SQC write, or a restart from the base table): the 32 bytes of
   * `bytes` from `at` (copied without a view).
   */
  loadSqc(bytes: Uint8Array, ver: number, at = 0): void {
    copyContext(bytes, at, this.sqc);
    const v = this.sqcView;
    this.sqHead = v.getUint16(0, true);
    this.sqTail = v.getUint16(2, true);
    this.sqBase = v.getUint32(8, true) * 0x1_0000_0000 + v.getUint32(4, true);
    const dw3 = v.getUint32(12, true);
    this.sqDepth = ver === QM_HW_V1 ? v.getUint16(16, true) + 1 : qmQcDepthV2(dw3);
    this.sqeSize = 1 << ((dw3 >>> QM_SQ_SQE_SIZE_SHIFT) & 0xf);
    this.cqNum = v.getUint16(24, true);
    this.hasSqc = true;
    this.stopped = false;
    if (this.sqHead >= this.sqDepth) this.sqHead %= this.sqDepth;
    if (this.sqTail >= this.sqDepth) this.sqTail %= this.sqDepth;
  }

  /** Load a CQC image: the 32 bytes of `bytes` from `at`. */
  loadCqc(bytes: Uint8Array, ver: number, at = 0): void {
    copyContext(bytes, at, this.cqc);
    const v = this.cqcView;
    this.cqHead = v.getUint16(0, true);
    this.cqTail = v.getUint16(2, true);
    this.cqBase = v.getUint32(8, true) * 0x1_0000_0000 + v.getUint32(4, true);
    const dw3 = v.getUint32(12, true);
    this.cqDepth = ver === QM_HW_V1 ? v.getUint16(16, true) + 1 : qmQcDepthV2(dw3);
    this.cqPhase = (v.getUint32(24, true) >>> QM_CQ_PHASE_SHIFT) & 1;
    this.hasCqc = true;
    if (this.cqHead >= this.cqDepth) this.cqHead %= this.cqDepth;
    if (this.cqTail >= this.cqDepth) this.cqTail %= this.cqDepth;
  }

  /** The SQC image with the live head/tail folded in (what write-back and a read mailbox return). */
  currentSqc(): Uint8Array {
    this.sqcView.setUint16(0, this.sqHead, true);
    this.sqcView.setUint16(2, this.sqTail, true);
    return this.sqc;
  }

  /** The CQC image with the live head/tail and phase folded in. */
  currentCqc(): Uint8Array {
    const v = this.cqcView;
    v.setUint16(0, this.cqHead, true);
    v.setUint16(2, this.cqTail, true);
    const dw6 = v.getUint32(24, true);
    v.setUint32(24, ((dw6 & ~(1 << QM_CQ_PHASE_SHIFT)) | (this.cqPhase << QM_CQ_PHASE_SHIFT)) >>> 0, true);
    return this.cqc;
  }

  /** CQC dw6 flag bit: completion events wanted. */
  get cqFlag(): boolean {
    return ((this.cqcView.getUint32(24, true) >>> QM_CQ_FLAG_SHIFT) & 1) === 1;
  }

  /** SQEs between head and tail not yet fetched. */
  get pendingSqes(): number {
    return (this.sqTail - this.sqHead + this.sqDepth) % this.sqDepth;
  }

  /**
   * Stop the queue (mailbox STOP_QP, or a failed DMA of its queue memory): fetch nothing more, and
   * abandon the job in the engine — a stopped queue writes nothing more to memory (no output, SQE
   * status, CQE or EQE), so nothing lands after the driver has cleared the rings (`qm_clear_queues()`).
   */
  stop(): void {
    this.stopped = true;
    this.epoch++;
  }

  /** Forget everything (FLR, new base table). */
  reset(): void {
    this.epoch++;
    this.sqc.fill(0);
    this.cqc.fill(0);
    this.hasSqc = false;
    this.hasCqc = false;
    this.stopped = false;
    this.sqHead = this.sqTail = this.sqBase = this.cqNum = 0;
    this.cqHead = this.cqTail = this.cqBase = 0;
    this.sqDepth = this.cqDepth = 1;
    this.sqeSize = 128;
    this.cqPhase = 1;
  }

  /** Plain state for snapshots. */
  state(): QmQueueState {
    return {
      qn: this.qn,
      stopped: this.stopped,
      sqc: this.hasSqc
        ? {
            head: this.sqHead,
            tail: this.sqTail,
            base: hex(this.sqBase),
            depth: this.sqDepth,
            sqeSize: this.sqeSize,
            cqNum: this.cqNum,
          }
        : null,
      cqc: this.hasCqc
        ? {
            head: this.cqHead,
            tail: this.cqTail,
            base: hex(this.cqBase),
            depth: this.cqDepth,
            phase: this.cqPhase,
          }
        : null,
      sqcRaw: this.hasSqc ? bytesToHex(this.currentSqc()) : null,
      cqcRaw: this.hasCqc ? bytesToHex(this.currentCqc()) : null,
    };
  }
}

/** Copy a 32-byte context from `src` at `at` into `dst` (allocation-free: no subarray view). */
function copyContext(src: Uint8Array, at: number, dst: Uint8Array): void {
  for (let i = 0; i < 32; i++) dst[i] = src[at + i]!;
}

/** A 64-bit address as `0x…` text (JSON-safe). */
export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}
