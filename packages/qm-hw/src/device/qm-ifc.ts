import { QM_MB_PING_ALL_VFS } from '../regs/mailbox.js';
import { QM_IFC_SEND_ALL_VFS } from '../regs/registers.js';
import { QM_CMD_EVENT_IRQ_VECTOR } from '../regs/versions.js';
import type { QmDevice } from './qm-device.js';
import type { QmFunction } from './qm-function.js';
import { QM_MB_STATUS_BAD_QUEUE, QM_MB_STATUS_OK } from './qm-mailbox.js';

/**
 * PF↔VF communication (V3): the message slots behind mailbox SRC/DST and the PF-side registers
 * QM_IFC_READY_STATUS, QM_IFC_INT_SET_P, QM_IFC_INT_CFG, QM_IFC_INT_SOURCE_P (bit i = function i,
 * 64 bits each, kept as two u32 halves).
 *
 * - VF→PF: VF mailbox SRC (queue 0) stores the message; VF writes QM_IFC_INT_SET_V bit0 → PF
 *   SOURCE_P bit fun and PF QM_IFC_INT_SOURCE_V bit0 set, PF IFC vector raised. The PF fetches with DST
 *   (queue = fun) and acknowledges by writing the function's bit to SOURCE_P, which clears the VF's
 *   INT_SET_V.
 * - PF→VF: PF mailbox SRC (queue = fun, 0xffff = all); QM_IFC_INT_CFG selects the VF (0x7f = all);
 *   writing QM_IFC_INT_SET_P bit0 sets READY_STATUS bit fun and the VF's QM_IFC_INT_SOURCE_V bit0 and
 *   raises the VF's IFC vector. The VF fetches with DST (queue 0) and acknowledges by writing bit0 of its
 *   QM_IFC_INT_SOURCE_V, which clears READY_STATUS bit fun.
 *
 * Kernel counterpart: the hardware behind `qm_ping_pf()`, `qm_ping_single_vf()`, `qm_ping_all_vfs()`,
 * `qm_cmd_process()` and `qm_clear_cmd_interrupt()` in qm.c.
 */
export class QmIfc {
  readyLo = 0;
  readyHi = 0;
  sourceLo = 0;
  sourceHi = 0;
  cfg = 0;

  constructor(private readonly dev: QmDevice) {}

  /** Mailbox SRC from `from` to `target`. */
  send(from: QmFunction, target: number, lo: number, hi: number): number {
    if (from.fun === 0) {
      if (target === QM_MB_PING_ALL_VFS) {
        for (const vf of this.dev.vfs) vf.ifcInbox.set([lo, hi]);
        return QM_MB_STATUS_OK;
      }
      const vf = this.dev.functionByNumber(target);
      if (vf === undefined || target === 0) return QM_MB_STATUS_BAD_QUEUE;
      vf.ifcInbox.set([lo, hi]);
      return QM_MB_STATUS_OK;
    }
    if (target !== 0) return QM_MB_STATUS_BAD_QUEUE;
    from.ifcOutbox.set([lo, hi]);
    return QM_MB_STATUS_OK;
  }

  /** Mailbox DST: the message `source` left for `by`. */
  fetch(by: QmFunction, source: number): { lo: number; hi: number } | undefined {
    if (by.fun === 0) {
      const vf = source === 0 ? undefined : this.dev.functionByNumber(source);
      if (vf === undefined) return undefined;
      return { lo: vf.ifcOutbox[0]!, hi: vf.ifcOutbox[1]! };
    }
    if (source !== 0) return undefined;
    return { lo: by.ifcInbox[0]!, hi: by.ifcInbox[1]! };
  }

  /** PF wrote QM_IFC_INT_SET_P bit0: interrupt the VF(s) QM_IFC_INT_CFG selects. */
  triggerVfs(): void {
    const sel = this.cfg & QM_IFC_SEND_ALL_VFS;
    for (const vf of this.dev.vfs) {
      if (sel !== QM_IFC_SEND_ALL_VFS && vf.fun !== sel) continue;
      this.setBit('ready', vf.fun, true);
      vf.ifcIntSource |= 1;
      if ((vf.ifcIntMask & 1) === 0) vf.raise(QM_CMD_EVENT_IRQ_VECTOR);
    }
  }

  /** VF wrote QM_IFC_INT_SET_V bit0: interrupt the PF. */
  triggerPf(vf: QmFunction): void {
    vf.ifcIntSet = 1;
    this.setBit('source', vf.fun, true);
    const pf = this.dev.pf;
    pf.ifcIntSource |= 1;
    if ((pf.ifcIntMask & 1) === 0) pf.raise(QM_CMD_EVENT_IRQ_VECTOR);
  }

  /** VF acknowledged a PF message (wrote bit0 of its QM_IFC_INT_SOURCE_V). */
  vfAcked(vf: QmFunction): void {
    this.setBit('ready', vf.fun, false);
  }

  /** PF wrote QM_IFC_INT_SOURCE_P: clear those bits and release the VFs' INT_SET_V. */
  clearSource(lo: number, hi: number): void {
    this.sourceLo = (this.sourceLo & ~lo) >>> 0;
    this.sourceHi = (this.sourceHi & ~hi) >>> 0;
    for (const vf of this.dev.vfs) {
      const bit = vf.fun < 32 ? (lo >>> vf.fun) & 1 : (hi >>> (vf.fun - 32)) & 1;
      if (bit === 1) vf.ifcIntSet = 0;
    }
  }

  /** A function was reset: forget its pending bits. */
  forget(fun: number): void {
    this.setBit('ready', fun, false);
    this.setBit('source', fun, false);
  }

  /** Clear every ready and source bit and the target (PF function-level reset). */
  reset(): void {
    this.readyLo = this.readyHi = this.sourceLo = this.sourceHi = this.cfg = 0;
  }

  private setBit(which: 'ready' | 'source', fun: number, on: boolean): void {
    const hiHalf = fun >= 32;
    const mask = (1 << (hiHalf ? fun - 32 : fun)) >>> 0;
    if (which === 'ready') {
      if (hiHalf) this.readyHi = (on ? this.readyHi | mask : this.readyHi & ~mask) >>> 0;
      else this.readyLo = (on ? this.readyLo | mask : this.readyLo & ~mask) >>> 0;
    } else if (hiHalf) this.sourceHi = (on ? this.sourceHi | mask : this.sourceHi & ~mask) >>> 0;
    else this.sourceLo = (on ? this.sourceLo | mask : this.sourceLo & ~mask) >>> 0;
  }
}
