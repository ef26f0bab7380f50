import type { TimerHandle } from '@vfio-sim/platform';
import {
  QM_MB_BUSY_SHIFT,
  QM_MB_CMD_AEQC,
  QM_MB_CMD_CQC,
  QM_MB_CMD_CQC_BT,
  QM_MB_CMD_DST,
  QM_MB_CMD_EQC,
  QM_MB_CMD_PAUSE_QM,
  QM_MB_CMD_SQC,
  QM_MB_CMD_SQC_BT,
  QM_MB_CMD_SQC_VFT_V2,
  QM_MB_CMD_SRC,
  QM_MB_CMD_STOP_QP,
  QM_MB_OP_SHIFT,
  QM_MB_STATUS_MASK,
  QM_MB_STATUS_SHIFT,
} from '../regs/mailbox.js';
import { QM_SQC_VFT } from '../regs/registers.js';
import { QM_HW_V1 } from '../regs/versions.js';
import type { QmFunction } from './qm-function.js';

/** Model status: command done. */
export const QM_MB_STATUS_OK = 0;
/** Model status: unknown command, or a direction the command does not support. */
export const QM_MB_STATUS_BAD_CMD = 0x1;
/** Model status: queue (or target function) outside what the issuing function may address. */
export const QM_MB_STATUS_BAD_QUEUE = 0x2;
/** Model status: a DMA of the command failed. */
export const QM_MB_STATUS_DMA_FAULT = 0x3;
/** Model status: the mailbox was written with something other than one 16-byte store. */
export const QM_MB_STATUS_BAD_WIDTH = 0x4;
/** Model status: a command was aborted by a fault being cleared or a reset. */
export const QM_MB_STATUS_ABORTED = 0xf;

const BUSY = 1 << QM_MB_BUSY_SHIFT;

/**
 * The mailbox of one function at BAR2 0x300: four 32-bit words, accepted only as ONE 16-byte write
 * (the kernel's 128-bit store). A write with busy bit 13 set starts the command; the hardware clears
 * busy after `latencies.mailboxUs` (PAUSE_QM: after the function's in-flight jobs have drained too) and
 * leaves the status in bits [12:9]. Read-direction results land in words 1/2 (0x304/0x308).
 *
 * Kernel counterpart: the hardware behind `qm_mb_nolock()` / `qm_mb_write()` / `qm_wait_mb_ready()`.
 */
export class QmMailbox {
  /** The 16 bytes at 0x300 as dwords (word 0 = w0 | queue_num << 16). */
  readonly words = new Uint32Array(4);
  /** Scratch for an SQC/CQC (32 bytes) or EQC/AEQC (28 bytes) read by DMA; the loaders copy it. */
  private readonly qcBuf = new Uint8Array(32);
  private readonly eqcBuf = new Uint8Array(28);
  private timer: TimerHandle | undefined;
  private stuck = false;

  constructor(private readonly fn: QmFunction) {}

  /** Whether a command is in progress (bit 13 of the mailbox's first word). */
  get busy(): boolean {
    return (this.words[0]! & BUSY) !== 0;
  }

  /** A 16-byte write at 0x300. */
  write16(data: Uint8Array): void {
    const f = this.fn;
    if (this.busy) {
      if (f.tracer.enabled) f.tracer.instant('qm.mb', 'write while busy (ignored)', { fun: f.fun });
      return;
    }
    for (let i = 0; i < 4; i++) {
      const at = i * 4;
      this.words[i] =
        (data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16) | (data[at + 3]! << 24)) >>> 0;
    }
    const w0 = this.words[0]!;
    if ((w0 & BUSY) === 0) return;
    this.words[0] = (w0 & ~QM_MB_STATUS_MASK) >>> 0;
    const cmd = w0 & 0xff;
    const op = (w0 >>> QM_MB_OP_SHIFT) & 1;
    const queue = w0 >>> 16;
    if (f.tracer.enabled) {
      f.tracer.instant('qm.mb', `cmd ${cmd}`, {
        fun: f.fun,
        op,
        queue,
        lo: this.words[1]!,
        hi: this.words[2]!,
      });
    }
    if (f.faults.mbStuckBusy) {
      f.faults.hit('mb-stuck-busy', `cmd ${cmd}`);
      this.stuck = true;
      return;
    }
    const injected = f.faults.mbErrorStatus;
    this.timer = f.clock.after(f.device.latencies.mailboxUs, () => {
      this.timer = undefined;
      if (injected !== 0) {
        f.faults.hit('mb-error', `cmd ${cmd}`);
        this.complete(injected);
        return;
      }
      const status = this.execute(cmd, op, queue, this.words[1]!, this.words[2]!);
      if (status < 0) return; // completes later (PAUSE_QM drain)
      this.complete(status);
    });
  }

  /** Any other write touching 0x300..0x30F: rejected with a failure status. */
  badWidth(width: number): void {
    const f = this.fn;
    if (this.busy) return;
    this.words[0] =
      ((this.words[0]! & ~QM_MB_STATUS_MASK) | (QM_MB_STATUS_BAD_WIDTH << QM_MB_STATUS_SHIFT)) >>> 0;
    if (f.tracer.enabled) f.tracer.instant('qm.mb', 'bad width', { fun: f.fun, width });
  }

  /** Clear busy and set the status. */
  complete(status: number): void {
    this.words[0] =
      ((this.words[0]! & ~(BUSY | QM_MB_STATUS_MASK)) | ((status & 0xf) << QM_MB_STATUS_SHIFT)) >>> 0;
    if (this.fn.tracer.enabled && status !== 0) {
      this.fn.tracer.instant('qm.mb', 'failed', { fun: this.fn.fun, status });
    }
  }

  /** A stuck command is released (the fault was cleared): it completes with a failure status. */
  release(): void {
    if (this.stuck && !this.fn.faults.mbStuckBusy) {
      this.stuck = false;
      this.complete(QM_MB_STATUS_ABORTED);
    }
  }

  /** Function reset: abandon any command, zero the registers. */
  reset(): void {
    if (this.timer !== undefined) this.fn.clock.cancel(this.timer);
    this.timer = undefined;
    this.stuck = false;
    this.words.fill(0);
  }

  private result(lo: number, hi: number): void {
    this.words[1] = lo >>> 0;
    this.words[2] = hi >>> 0;
  }

  /** Run a command; returns its status, or −1 if it completes later. */
  private execute(cmd: number, op: number, queue: number, lo: number, hi: number): number {
    const f = this.fn;
    const addr = hi * 0x1_0000_0000 + lo;
    switch (cmd) {
      case QM_MB_CMD_SQC:
      case QM_MB_CMD_CQC: {
        const q = f.queueFor(queue);
        if (q === undefined) return QM_MB_STATUS_BAD_QUEUE;
        const isSq = cmd === QM_MB_CMD_SQC;
        if (op === 1) {
          const img = isSq ? q.currentSqc() : q.currentCqc();
          return f.dmaWrite(addr, img) ? QM_MB_STATUS_OK : QM_MB_STATUS_DMA_FAULT;
        }
        const buf = this.qcBuf;
        if (!f.dmaRead(addr, buf)) return QM_MB_STATUS_DMA_FAULT;
        if (isSq) q.loadSqc(buf, f.device.version);
        else q.loadCqc(buf, f.device.version);
        return QM_MB_STATUS_OK;
      }
      case QM_MB_CMD_EQC:
      case QM_MB_CMD_AEQC: {
        const eq = cmd === QM_MB_CMD_EQC ? f.eq : f.aeq;
        if (op === 1) return f.dmaWrite(addr, eq.bytes()) ? QM_MB_STATUS_OK : QM_MB_STATUS_DMA_FAULT;
        const buf = this.eqcBuf;
        if (!f.dmaRead(addr, buf)) return QM_MB_STATUS_DMA_FAULT;
        eq.load(buf);
        return QM_MB_STATUS_OK;
      }
      case QM_MB_CMD_SQC_BT:
      case QM_MB_CMD_CQC_BT: {
        const isSq = cmd === QM_MB_CMD_SQC_BT;
        if (op === 1) {
          const bt = isSq ? f.sqcBt : f.cqcBt;
          this.result(bt % 0x1_0000_0000, Math.floor(bt / 0x1_0000_0000));
        } else {
          if (isSq) f.sqcBt = addr;
          else f.cqcBt = addr;
          f.dropCachedContexts();
        }
        return QM_MB_STATUS_OK;
      }
      case QM_MB_CMD_SQC_VFT_V2: {
        if (op !== 1 || f.device.version === QM_HW_V1) return QM_MB_STATUS_BAD_CMD;
        const raw = f.device.vft.raw(f.fun, QM_SQC_VFT);
        this.result(raw.lo, raw.hi);
        return QM_MB_STATUS_OK;
      }
      case QM_MB_CMD_STOP_QP: {
        const q = f.queueFor(queue);
        if (q === undefined) return QM_MB_STATUS_BAD_QUEUE;
        q.stop();
        return QM_MB_STATUS_OK;
      }
      case QM_MB_CMD_SRC:
        return f.device.ifc.send(f, queue, lo, hi);
      case QM_MB_CMD_DST: {
        const msg = f.device.ifc.fetch(f, queue);
        if (msg === undefined) return QM_MB_STATUS_BAD_QUEUE;
        this.result(msg.lo, msg.hi);
        return QM_MB_STATUS_OK;
      }
      case QM_MB_CMD_PAUSE_QM:
        f.pause(() => this.complete(QM_MB_STATUS_OK));
        return -1;
      default:
        return QM_MB_STATUS_BAD_CMD;
    }
  }
}
