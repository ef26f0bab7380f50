import { isKernelError, KernelError, pollTimeout } from '@vfio-sim/platform';
import {
  POLL_PERIOD,
  POLL_TIMEOUT,
  QM_MB_BUSY_SHIFT,
  QM_MB_STATUS_MASK,
  QM_MB_STATUS_SHIFT,
  qmMbEncode,
} from '../regs/mailbox.js';
import { QM_MB_CMD_DATA_ADDR_H, QM_MB_CMD_DATA_ADDR_L, QM_MB_CMD_SEND_BASE } from '../regs/registers.js';
import type { HisiQm } from './hisi-qm.js';

/** A mailbox DMA address: a number (< 2^53) or a full 64-bit bigint. */
export type DmaAddr = number | bigint;

const mbBuf = new Uint8Array(16);

function isNotBusy(word0: number): boolean {
  return ((word0 >>> QM_MB_BUSY_SHIFT) & 1) === 0;
}

/** Split a DMA address into its low and high 32-bit halves. */
export function dmaHalves(addr: DmaAddr): { lo: number; hi: number } {
  if (typeof addr === 'bigint') {
    return { lo: Number(addr & 0xffff_ffffn), hi: Number((addr >> 32n) & 0xffff_ffffn) };
  }
  return { lo: addr >>> 0, hi: Math.floor(addr / 0x1_0000_0000) >>> 0 };
}

/**
 * Wait until the function's mailbox is not busy: poll the 32-bit word at 0x300 until bit 13 is clear,
 * every 10 µs for at most 1000 µs.
 *
 * Kernel counterpart: `hisi_qm_wait_mb_ready()` in qm.c (readl_relaxed_poll_timeout of
 * `QM_MB_CMD_SEND_BASE`, POLL_PERIOD / POLL_TIMEOUT).
 * @throws KernelError ETIMEDOUT if the busy bit stays set.
 */
export function qmWaitMbReady(qm: HisiQm): void {
  pollTimeout(qm.clock, () => qm.ioBase.readl(QM_MB_CMD_SEND_BASE), isNotBusy, POLL_PERIOD, POLL_TIMEOUT);
}

/**
 * One mailbox command with the lock already held: wait ready, one 128-bit write of `struct qm_mailbox`
 * at 0x300, wait for the hardware to clear busy, then check the status field.
 *
 * Kernel counterpart: `qm_mb_nolock()` in qm.c (the v6.4-era form with distinct errnos).
 * @throws KernelError EBUSY (busy before the write; nothing was written), ETIMEDOUT (no completion),
 * EIO (non-zero status [12:9]).
 */
export function qmMbNolock(
  qm: HisiQm,
  cmd: number,
  dmaAddr: DmaAddr,
  queue: number,
  op: boolean | number,
): void {
  try {
    qmWaitMbReady(qm);
  } catch (e) {
    if (!isKernelError(e, 'ETIMEDOUT')) throw e;
    qm.dfx.mbErrCnt++;
    throw new KernelError('EBUSY', `${qm.name}: QM mailbox is busy to start`, { cmd, queue });
  }
  const { lo, hi } = dmaHalves(dmaAddr);
  qmMbEncode(mbBuf, cmd, op, queue, lo, hi);
  if (qm.tracer?.enabled === true) {
    qm.tracer.instant('qm.driver', 'mailbox', {
      fn: qm.name,
      cmd,
      queue,
      op: op ? 1 : 0,
      base: `0x${(hi * 0x1_0000_0000 + lo).toString(16)}`,
    });
  }
  qm.ioBase.write(QM_MB_CMD_SEND_BASE, mbBuf);
  let word0: number;
  try {
    word0 = pollTimeout(
      qm.clock,
      () => qm.ioBase.readl(QM_MB_CMD_SEND_BASE),
      isNotBusy,
      POLL_PERIOD,
      POLL_TIMEOUT,
    );
  } catch (e) {
    if (!isKernelError(e, 'ETIMEDOUT')) throw e;
    qm.dfx.mbErrCnt++;
    throw new KernelError('ETIMEDOUT', `${qm.name}: QM mailbox operation timeout`, { cmd, queue });
  }
  if ((word0 & QM_MB_STATUS_MASK) !== 0) {
    qm.dfx.mbErrCnt++;
    throw new KernelError('EIO', `${qm.name}: QM mailbox operation failed`, {
      cmd,
      queue,
      status: (word0 & QM_MB_STATUS_MASK) >>> QM_MB_STATUS_SHIFT,
    });
  }
}

/**
 * Send one mailbox command under the function's mailbox lock. `op` true/1 = read (query), false/0 =
 * write (configure).
 *
 * Kernel counterpart: `hisi_qm_mb()` in qm.c.
 * @throws KernelError EBUSY (mailbox busy before the write, or this function's mailbox is already in use
 * by a command in progress), ETIMEDOUT (no completion), EIO (error status).
 */
export function qmMb(qm: HisiQm, cmd: number, dmaAddr: DmaAddr, queue: number, op: boolean | number): void {
  qm.mailboxLock.lock();
  try {
    qmMbNolock(qm, cmd, dmaAddr, queue, op);
  } finally {
    qm.mailboxLock.unlock();
  }
}

/** Read the 64-bit result of a read-direction command as two 32-bit loads (0x304 low, 0x308 high). */
function readResult(qm: HisiQm): bigint {
  const lo = qm.ioBase.readl(QM_MB_CMD_DATA_ADDR_L) >>> 0;
  const hi = qm.ioBase.readl(QM_MB_CMD_DATA_ADDR_H) >>> 0;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/**
 * A read-direction mailbox command (op = 1, base 0) and its 64-bit result from 0x304/0x308, read under
 * the same lock hold.
 *
 * Kernel counterpart: `hisi_qm_mb_read()` (newer qm.c; older code: `hisi_qm_mb(…, 1)` followed by two
 * `readl`s, e.g. `qm_get_vft_v2()`, `qm_get_mb_cmd()`, the vfio driver's `qm_get_sqc()`).
 * @throws KernelError as {@link qmMb}.
 */
export function qmMbRead(qm: HisiQm, cmd: number, queue: number): bigint {
  qm.mailboxLock.lock();
  try {
    qmMbNolock(qm, cmd, 0, queue, 1);
    return readResult(qm);
  } finally {
    qm.mailboxLock.unlock();
  }
}

/** {@link qmMbRead} for a caller that already holds the mailbox lock. */
export function qmMbReadNolock(qm: HisiQm, cmd: number, queue: number): bigint {
  qmMbNolock(qm, cmd, 0, queue, 1);
  return readResult(qm);
}
