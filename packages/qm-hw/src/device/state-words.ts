import type { QmFunction } from './qm-function.js';

/** Words of the header of {@link QmStateWords}, named as a difference reports them. */
const HEADER = [
  'version',
  'deviceId',
  'qpNum',
  'paused',
  'regs aeqIntMask',
  'regs eqIntMask',
  'regs ifcIntSource',
  'regs ifcIntMask',
  'regs ifcIntSet',
  'regs queIsoCfg',
  'regs pageSize',
  'regs vfState',
  ...Array.from({ length: 7 }, (_, i) => `eqc[${i}]`),
  ...Array.from({ length: 7 }, (_, i) => `aeqc[${i}]`),
  'sqcBt low',
  'sqcBt high',
  'cqcBt low',
  'cqcBt high',
] as const;

/** Header words (the function's registers) before the queues. */
export const QM_STATE_HEADER_WORDS = HEADER.length;
/** Words per queue listed: its number, its flags, then the SQC and the CQC (8 words each). */
export const QM_STATE_QUEUE_WORDS = 18;

/** Queue flags word: STOP_QP received. */
export const QM_STATE_QUEUE_STOPPED = 1;
/** Queue flags word: the queue has an SQC (on chip, or in the base table; else its words are zero). */
export const QM_STATE_QUEUE_HAS_SQC = 2;
/** Queue flags word: the queue has a CQC. */
export const QM_STATE_QUEUE_HAS_CQC = 4;

/**
 * What {@link QmFunction.snapshot}'s `state` (and `transient.paused`) holds, as 32-bit words in a buffer
 * kept from one reading to the next: the registers a migration carries, the EQC/AEQC images, the base
 * tables, and for each queue of the function's VFT range that has a context (on chip, or in a base
 * table) its number, flags and the SQC/CQC the hardware would use (the on-chip copy, else the base
 * table's, with the live head/tail/phase folded in) — a queue without is all zeros in the snapshot, and
 * left out here, so a function nobody started reads as a few dozen words. Reading a
 * function allocates nothing once the buffer is large enough, so a check that a request changed nothing
 * costs two readings and a word comparison instead of two object snapshots.
 *
 * Kernel counterpart: none — the QM function's register file and context caches (`struct qm_sqc`,
 * `struct qm_cqc`, `struct qm_eqc`, `struct qm_aeqc`), read the way the model's snapshot reads them.
 */
export class QmStateWords {
  /** The words; only the first {@link length} are the reading. */
  words = new Uint32Array(QM_STATE_HEADER_WORDS + 64 * QM_STATE_QUEUE_WORDS);
  /** Words of the last reading. */
  length = 0;
  /** The same buffer as bytes (the queues' contexts are copied in as bytes). */
  private bytes = new Uint8Array(this.words.buffer);

  /** Read `fn` into this buffer (grown if every queue of its range would not fit). */
  read(fn: QmFunction): this {
    const qpNum = fn.device.vft.qpNum(fn.fun);
    const most = QM_STATE_HEADER_WORDS + qpNum * QM_STATE_QUEUE_WORDS;
    if (this.words.length < most) {
      this.words = new Uint32Array(most);
      this.bytes = new Uint8Array(this.words.buffer);
    }
    const w = this.words;
    let i = 0;
    w[i++] = fn.device.version;
    w[i++] = fn.pci.deviceId;
    w[i++] = qpNum;
    w[i++] = fn.paused ? 1 : 0;
    w[i++] = fn.aeqIntMask;
    w[i++] = fn.eqIntMask;
    w[i++] = fn.ifcIntSource;
    w[i++] = fn.ifcIntMask;
    w[i++] = fn.ifcIntSet;
    w[i++] = fn.queIsoCfg;
    w[i++] = fn.pageSize;
    w[i++] = fn.vfState;
    w.set(fn.eq.image, i);
    i += 7;
    w.set(fn.aeq.image, i);
    i += 7;
    w[i++] = fn.sqcBt >>> 0;
    w[i++] = Math.floor(fn.sqcBt / 0x1_0000_0000);
    w[i++] = fn.cqcBt >>> 0;
    w[i++] = Math.floor(fn.cqcBt / 0x1_0000_0000);
    i = fn.readQueueWords(w, this.bytes, i);
    this.length = i;
    return this;
  }

  /** Whether two readings are word for word the same. */
  equals(other: QmStateWords): boolean {
    return this.firstDifference(other) < 0;
  }

  /** Index of the first word that differs from `other` (a different length counts), or −1. */
  firstDifference(other: QmStateWords): number {
    const n = Math.min(this.length, other.length);
    const a = this.words;
    const b = other.words;
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
    return this.length === other.length ? -1 : n;
  }

  /**
   * The first difference from `before` (this being after), as `where: before → after` (e.g. `queue 3
   * sqc[0]: 0x0 → 0x10000`), or undefined when equal.
   */
  diff(before: QmStateWords): string | undefined {
    const i = before.firstDifference(this);
    if (i < 0) return undefined;
    const show = (s: QmStateWords) => (i < s.length ? `0x${s.words[i]!.toString(16)}` : 'none');
    return `${this.wordName(i)}: ${show(before)} → ${show(this)}`;
  }

  /**
   * What word `i` of this reading holds: `regs pageSize`, `queue 3 flags`, `queue 3 cqc[6]` (`queue
   * list[2] qn` for the number of the third queue listed).
   */
  wordName(i: number): string {
    if (i < QM_STATE_HEADER_WORDS) return HEADER[i]!;
    const entry =
      QM_STATE_HEADER_WORDS +
      Math.floor((i - QM_STATE_HEADER_WORDS) / QM_STATE_QUEUE_WORDS) * QM_STATE_QUEUE_WORDS;
    const k = i - entry;
    if (k === 0 || entry >= this.length)
      return `queue list[${(entry - QM_STATE_HEADER_WORDS) / QM_STATE_QUEUE_WORDS}] qn`;
    return `queue ${this.words[entry]} ${k === 1 ? 'flags' : k <= 9 ? `sqc[${k - 2}]` : `cqc[${k - 10}]`}`;
  }
}
