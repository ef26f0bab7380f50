import type { Tracer, VirtualClock } from '@vfio-sim/platform';
import {
  QM_SHAPER_VFT,
  QM_VFT_CFG,
  QM_VFT_CFG_DATA_H,
  QM_VFT_CFG_DATA_L,
  QM_VFT_CFG_OP_ENABLE,
  QM_VFT_CFG_OP_WR,
  QM_VFT_CFG_RDY,
  QM_VFT_CFG_TYPE,
} from '../regs/registers.js';
import { QM_HW_V1 } from '../regs/versions.js';
import { qmSqcVftV2Base, qmSqcVftV2Number, qmSqcVftValid } from '../regs/vft.js';

/** Most functions one QM addresses (PF + 63 VFs). */
export const QM_MAX_FUNCTIONS = 64;

/** A function's queue range, decoded from its SQC VFT. */
export interface QmQueueRange {
  readonly base: number;
  readonly number: number;
}

/**
 * The virtual function table and the PF register block that programs it: per function an SQC VFT,
 * a CQC VFT and a shaper VFT (64 bits each), written and read through QM_VFT_CFG_OP_WR / _TYPE / CFG /
 * DATA_L / DATA_H with the QM_VFT_CFG_RDY / QM_VFT_CFG_OP_ENABLE handshake.
 *
 * Kernel counterpart: the hardware behind `qm_set_vft_common()` / `qm_get_vft_v2()` and the vfio
 * driver's `pf_qm_get_qp_num()`.
 */
export class QmVftTable {
  /** [fun * 6 + type * 2 + (0 lo | 1 hi)]. */
  private readonly data = new Uint32Array(QM_MAX_FUNCTIONS * 6);
  private opWr = 0;
  private type = 0;
  private cfg = 0;
  private dataL = 0;
  private dataH = 0;
  private rdy = 1;
  private busy = false;
  private generation = 0;
  /**
   * Each function's queue range decoded once per VFT change, for the per-doorbell lookup: first queue
   * (-1 while the SQC/CQC VFT is not valid) and number of queues (0 then).
   */
  private readonly bases = new Int32Array(QM_MAX_FUNCTIONS).fill(-1);
  private readonly nums = new Int32Array(QM_MAX_FUNCTIONS);

  constructor(
    private readonly clock: VirtualClock,
    private readonly tracer: Tracer,
    private readonly version: number,
    private readonly latencyUs: () => number,
    private readonly totalQueues: number,
  ) {}

  /** True if `offset` is one of the VFT configuration registers. */
  static owns(offset: number): boolean {
    return offset >= QM_VFT_CFG_OP_ENABLE && offset <= QM_VFT_CFG_RDY;
  }

  /** A 32-bit read of one of the VFT configuration registers (0 for any other offset). */
  readl(offset: number): number {
    switch (offset) {
      case QM_VFT_CFG_OP_WR:
        return this.opWr;
      case QM_VFT_CFG_TYPE:
        return this.type;
      case QM_VFT_CFG:
        return this.cfg;
      case QM_VFT_CFG_DATA_L:
        return this.dataL;
      case QM_VFT_CFG_DATA_H:
        return this.dataH;
      case QM_VFT_CFG_RDY:
        return this.rdy;
      default:
        return 0;
    }
  }

  /** A 32-bit write of a VFT configuration register; `QM_VFT_CFG_OP_ENABLE` starts the operation. */
  writel(offset: number, value: number): void {
    switch (offset) {
      case QM_VFT_CFG_OP_WR:
        this.opWr = value & 1;
        break;
      case QM_VFT_CFG_TYPE:
        this.type = value & 3;
        break;
      case QM_VFT_CFG:
        this.cfg = value >>> 0;
        break;
      case QM_VFT_CFG_DATA_L:
        this.dataL = value >>> 0;
        break;
      case QM_VFT_CFG_DATA_H:
        this.dataH = value >>> 0;
        break;
      case QM_VFT_CFG_RDY:
        if (!this.busy) this.rdy = value & 1;
        break;
      case QM_VFT_CFG_OP_ENABLE:
        if ((value & 1) === 1 && !this.busy) this.start();
        break;
    }
  }

  private start(): void {
    this.busy = true;
    this.rdy = 0;
    const opWr = this.opWr;
    const type = this.type;
    const fun = type === QM_SHAPER_VFT ? this.cfg & 0x3f : this.cfg;
    const lo = this.dataL;
    const hi = this.dataH;
    const gen = this.generation;
    this.clock.after(this.latencyUs(), () => {
      if (gen !== this.generation) return;
      this.busy = false;
      this.rdy = 1;
      if (fun >= QM_MAX_FUNCTIONS || type > QM_SHAPER_VFT) return;
      const at = fun * 6 + type * 2;
      if (opWr === 0) {
        this.data[at] = lo;
        this.data[at + 1] = hi;
        this.decodeRange(fun);
      } else {
        this.dataL = this.data[at]!;
        this.dataH = this.data[at + 1]!;
      }
      if (this.tracer.enabled) {
        this.tracer.instant('qm.vft', opWr === 0 ? 'write' : 'read', {
          fun,
          type,
          lo,
          hi: this.data[at + 1]!,
        });
      }
    });
  }

  /** The raw 64-bit VFT of `type` for function `fun`, as halves. */
  raw(fun: number, type: number): { lo: number; hi: number } {
    const at = fun * 6 + type * 2;
    return { lo: this.data[at] ?? 0, hi: this.data[at + 1] ?? 0 };
  }

  /** The queue range of function `fun`, or undefined if its SQC/CQC VFT is not valid. */
  range(fun: number): QmQueueRange | undefined {
    if (!this.valid(fun)) return undefined;
    return { base: this.qpBase(fun), number: this.qpNum(fun) };
  }

  /**
   * First (absolute) queue of function `fun`, or -1 if its SQC/CQC VFT is not valid. Allocation-free,
   * for the per-doorbell queue lookup (decoded when the VFT changes).
   */
  qpBase(fun: number): number {
    return fun >>> 0 === fun && fun < QM_MAX_FUNCTIONS ? this.bases[fun]! : -1;
  }

  /**
   * Number of queues of function `fun` (clipped to the device's queues; V1: all from the base on), 0 if
   * its SQC/CQC VFT is not valid. Allocation-free, for the per-doorbell queue lookup (decoded when the
   * VFT changes).
   */
  qpNum(fun: number): number {
    return fun >>> 0 === fun && fun < QM_MAX_FUNCTIONS ? this.nums[fun]! : 0;
  }

  /** Decode function `fun`'s queue range from its VFT words into {@link bases}/{@link nums}. */
  private decodeRange(fun: number): void {
    if (!this.valid(fun)) {
      this.bases[fun] = -1;
      this.nums[fun] = 0;
      return;
    }
    const at = fun * 6; // QM_SQC_VFT = 0
    const base = qmSqcVftV2Base(this.data[at]!, this.data[at + 1]!);
    const room = Math.max(0, this.totalQueues - base);
    this.bases[fun] = base;
    this.nums[fun] = this.version === QM_HW_V1 ? room : Math.min(qmSqcVftV2Number(this.data[at + 1]!), room);
  }

  /** SQC VFT valid and CQC VFT non-zero. */
  private valid(fun: number): boolean {
    if (fun < 0 || fun >= QM_MAX_FUNCTIONS) return false;
    const at = fun * 6;
    if (!qmSqcVftValid(this.data[at + 1]!)) return false; // QM_SQC_VFT = 0
    return this.data[at + 2] !== 0 || this.data[at + 3] !== 0; // QM_CQC_VFT = 1
  }

  /** Clear the whole table (PF reset). */
  reset(): void {
    this.data.fill(0);
    this.bases.fill(-1);
    this.nums.fill(0);
    this.opWr = this.type = this.cfg = this.dataL = this.dataH = 0;
    this.rdy = 1;
    this.busy = false;
    this.generation++;
  }

  /** The valid ranges, for snapshots. */
  ranges(): Record<number, QmQueueRange> {
    const out: Record<number, QmQueueRange> = {};
    for (let f = 0; f < QM_MAX_FUNCTIONS; f++) {
      const r = this.range(f);
      if (r !== undefined) out[f] = r;
    }
    return out;
  }
}
