import { KernelError, readq, writeq } from '@vfio-sim/platform';
import { QM_MB_CMD_DST, QM_MB_CMD_SRC, QM_MB_PING_ALL_VFS } from '../regs/mailbox.js';
import {
  QM_IFC_INT_CFG,
  QM_IFC_INT_MASK,
  QM_IFC_INT_SET_P,
  QM_IFC_INT_SET_V,
  QM_IFC_INT_SOURCE_P,
  QM_IFC_INT_SOURCE_V,
  QM_IFC_INT_STATUS,
  QM_IFC_READY_STATUS,
  QM_IFC_SEND_ALL_VFS,
} from '../regs/registers.js';
import type { HisiQm } from './hisi-qm.js';
import { qmMbNolock, qmMbRead } from './mailbox.js';

/** ms the sender sleeps between two looks at the receiver's acknowledgement (`QM_WAIT_DST_ACK`). */
export const QM_WAIT_DST_ACK = 10;
/** Looks the PF takes before giving up on a VF (`QM_MAX_PF_WAIT_COUNT`). */
export const QM_MAX_PF_WAIT_COUNT = 10;
/** Looks a VF takes before giving up on the PF (`QM_MAX_VF_WAIT_COUNT`). */
export const QM_MAX_VF_WAIT_COUNT = 40;
/** `QM_IFC_INT_SOURCE_CLR`: every source bit. */
export const QM_IFC_INT_SOURCE_CLR = 0xffff_ffff_ffff_ffffn;

/** One PF↔VF message: `enum qm_mb_cmd` value and its 32-bit argument (mailbox base = cmd | data << 32). */
export interface QmIfcMessage {
  readonly cmd: number;
  readonly data: number;
}

function message(cmd: number, data: number): bigint {
  return (BigInt(data >>> 0) << 32n) | BigInt(cmd >>> 0);
}

function msleep(qm: HisiQm, ms: number): void {
  qm.clock.udelay(ms * 1000);
}

/**
 * Clear the function's IFC interrupt: the PF first acknowledges the VFs in `vfMask` (64-bit write of
 * QM_IFC_INT_SOURCE_P), then every function sets bit 0 of QM_IFC_INT_SOURCE_V.
 *
 * Kernel counterpart: `qm_clear_cmd_interrupt()` in qm.c.
 */
export function qmClearCmdInterrupt(qm: HisiQm, vfMask: bigint): void {
  if (qm.funType === 'PF') {
    writeq(
      qm.ioBase,
      QM_IFC_INT_SOURCE_P,
      Number(vfMask & 0xffff_ffffn),
      Number((vfMask >> 32n) & 0xffff_ffffn),
    );
  }
  const val = qm.ioBase.readl(QM_IFC_INT_SOURCE_V);
  qm.ioBase.writel(QM_IFC_INT_SOURCE_V, (val | 1) >>> 0);
}

/**
 * Enable PF↔VF communication: clear every pending source, then unmask the IFC interrupt.
 * Kernel counterpart: `qm_cmd_init()`.
 */
export function qmCmdInit(qm: HisiQm): void {
  qmClearCmdInterrupt(qm, QM_IFC_INT_SOURCE_CLR);
  const val = qm.ioBase.readl(QM_IFC_INT_MASK);
  qm.ioBase.writel(QM_IFC_INT_MASK, (val & ~1) >>> 0);
}

/** Mask the IFC interrupt. Kernel counterpart: `qm_cmd_uninit()`. */
export function qmCmdUninit(qm: HisiQm): void {
  const val = qm.ioBase.readl(QM_IFC_INT_MASK);
  qm.ioBase.writel(QM_IFC_INT_MASK, (val | 1) >>> 0);
}

/** Select VF `funNum` (0x7f = all) in QM_IFC_INT_CFG and set QM_IFC_INT_SET_P. Kernel: `qm_trigger_vf_interrupt()`. */
export function qmTriggerVfInterrupt(pfQm: HisiQm, funNum: number): void {
  let val = pfQm.ioBase.readl(QM_IFC_INT_CFG);
  val = ((val & ~QM_IFC_SEND_ALL_VFS) | funNum) >>> 0;
  pfQm.ioBase.writel(QM_IFC_INT_CFG, val);
  pfQm.ioBase.writel(QM_IFC_INT_SET_P, (pfQm.ioBase.readl(QM_IFC_INT_SET_P) | 1) >>> 0);
}

/** Set QM_IFC_INT_SET_V bit 0 (VF → PF). Kernel counterpart: `qm_trigger_pf_interrupt()`. */
export function qmTriggerPfInterrupt(vfQm: HisiQm): void {
  vfQm.ioBase.writel(QM_IFC_INT_SET_V, (vfQm.ioBase.readl(QM_IFC_INT_SET_V) | 1) >>> 0);
}

/**
 * VF → PF: mailbox SRC (queue 0, message in base), set QM_IFC_INT_SET_V, then sleep 10 ms at a time
 * until the PF's acknowledgement clears it (at most 40 more looks). The mailbox lock is held throughout.
 *
 * Kernel counterpart: `qm_ping_pf()` in qm.c.
 * @throws KernelError the mailbox errno, or ETIMEDOUT if the PF never acknowledges.
 */
export function qmPingPf(vfQm: HisiQm, cmd: number, data = 0): void {
  vfQm.mailboxLock.lock();
  try {
    qmMbNolock(vfQm, QM_MB_CMD_SRC, message(cmd, data), 0, 0);
    qmTriggerPfInterrupt(vfQm);
    let cnt = 0;
    for (;;) {
      msleep(vfQm, QM_WAIT_DST_ACK);
      if ((vfQm.ioBase.readl(QM_IFC_INT_SET_V) & 1) === 0) return;
      if (++cnt > QM_MAX_VF_WAIT_COUNT) {
        throw new KernelError('ETIMEDOUT', `${vfQm.name}: no response from the PF to command ${cmd}`);
      }
    }
  } finally {
    vfQm.mailboxLock.unlock();
  }
}

/**
 * VF → PF as {@link qmPingPf}, with the wait for the PF's acknowledgement unrolled into events on the
 * clock (a look every 10 ms, at most 41) instead of a busy loop; the mailbox lock is held until the last
 * look, as the kernel holds it across its sleeps. `done` gets undefined once the PF acknowledged, or the
 * mailbox errno / ETIMEDOUT.
 *
 * Model: used where the VF answers the PF's reset commands. In the kernel the PF's reset work and the
 * VF's answer run on different CPUs; in the single-threaded model the VF's answer runs inside the PF's
 * wait loop, so a VF that busy-waited there would stall the PF it is waiting for.
 *
 * Kernel counterpart: `qm_ping_pf()` in qm.c.
 */
export function qmPingPfDeferred(
  vfQm: HisiQm,
  cmd: number,
  data: number,
  done: (err: KernelError | undefined) => void,
): void {
  vfQm.mailboxLock.lock();
  try {
    qmMbNolock(vfQm, QM_MB_CMD_SRC, message(cmd, data), 0, 0);
    qmTriggerPfInterrupt(vfQm);
  } catch (e) {
    vfQm.mailboxLock.unlock();
    if (!(e instanceof KernelError)) throw e;
    done(e);
    return;
  }
  let cnt = 0;
  const look = (): void => {
    if (vfQm.halted) return;
    if ((vfQm.ioBase.readl(QM_IFC_INT_SET_V) & 1) === 0) {
      vfQm.mailboxLock.unlock();
      done(undefined);
    } else if (++cnt > QM_MAX_VF_WAIT_COUNT) {
      vfQm.mailboxLock.unlock();
      done(new KernelError('ETIMEDOUT', `${vfQm.name}: no response from the PF to command ${cmd}`));
    } else {
      vfQm.clock.after(QM_WAIT_DST_ACK * 1000, look);
    }
  };
  vfQm.clock.after(QM_WAIT_DST_ACK * 1000, look);
}

/**
 * PF → one VF: mailbox SRC (queue = VF number), trigger the VF's interrupt, then sleep 10 ms at a time
 * until the VF's bit in QM_IFC_READY_STATUS clears (at most 10 more looks).
 *
 * Kernel counterpart: `qm_ping_single_vf()` in qm.c.
 * @throws KernelError the mailbox errno, or ETIMEDOUT if the VF never takes the message.
 */
export function qmPingSingleVf(pfQm: HisiQm, cmd: number, data: number, funNum: number): void {
  pfQm.mailboxLock.lock();
  try {
    qmMbNolock(pfQm, QM_MB_CMD_SRC, message(cmd, data), funNum, 0);
    qmTriggerVfInterrupt(pfQm, funNum);
    let cnt = 0;
    const bit = 1n << BigInt(funNum);
    for (;;) {
      msleep(pfQm, QM_WAIT_DST_ACK);
      if ((readq(pfQm.ioBase, QM_IFC_READY_STATUS) & bit) === 0n) return;
      if (++cnt > QM_MAX_PF_WAIT_COUNT) {
        throw new KernelError('ETIMEDOUT', `${pfQm.name}: no response from VF(${funNum})`);
      }
    }
  } finally {
    pfQm.mailboxLock.unlock();
  }
}

/**
 * PF → all VFs: mailbox SRC with queue 0xffff, QM_IFC_INT_CFG = 0x7f, then wait until bits [vfsNum:1] of
 * QM_IFC_READY_STATUS are clear.
 *
 * Kernel counterpart: `qm_ping_all_vfs()` in qm.c.
 * @throws KernelError the mailbox errno, or ETIMEDOUT (context `pending` = VF bits still set).
 */
export function qmPingAllVfs(pfQm: HisiQm, cmd: number, data = 0): void {
  pfQm.mailboxLock.lock();
  let val = 0n;
  const mask = ((1n << BigInt(pfQm.vfsNum + 1)) - 1n) & ~1n;
  try {
    qmMbNolock(pfQm, QM_MB_CMD_SRC, message(cmd, data), QM_MB_PING_ALL_VFS, 0);
    qmTriggerVfInterrupt(pfQm, QM_IFC_SEND_ALL_VFS);
    let cnt = 0;
    for (;;) {
      msleep(pfQm, QM_WAIT_DST_ACK);
      val = readq(pfQm.ioBase, QM_IFC_READY_STATUS);
      if ((val & mask) === 0n) return;
      if (++cnt > QM_MAX_PF_WAIT_COUNT) break;
    }
  } finally {
    pfQm.mailboxLock.unlock();
  }
  throw new KernelError('ETIMEDOUT', `${pfQm.name}: VFs did not respond`, {
    pending: `0x${(val & mask).toString(16)}`,
  });
}

/**
 * Fetch the message function `funNum` sent to this function: mailbox DST (read) with queue = source
 * function (a VF uses 0, the PF), result from 0x304/0x308.
 *
 * Kernel counterpart: `qm_get_mb_cmd()` / `hisi_qm_mb_read(qm, &msg, QM_MB_CMD_DST, fun_num)`.
 * @throws KernelError the mailbox errno.
 */
export function qmGetIfc(qm: HisiQm, funNum: number): QmIfcMessage {
  const msg = qmMbRead(qm, QM_MB_CMD_DST, funNum);
  return { cmd: Number(msg & 0xffff_ffffn), data: Number(msg >> 32n) };
}

/**
 * The IFC interrupt (vector 2): whether QM_IFC_INT_STATUS bit 0 is set (work must be scheduled).
 * Kernel counterpart: `qm_mb_cmd_irq()`.
 */
export function qmMbCmdIrq(qm: HisiQm): boolean {
  return (qm.ioBase.readl(QM_IFC_INT_STATUS) & 1) === 1;
}

/**
 * Receive one message from `funNum`: fetch it (DST), acknowledge by clearing the command interrupt
 * (whether or not the fetch worked), then hand it to `dispatch`.
 *
 * Kernel counterpart: `qm_handle_cmd_msg()` in qm.c (the `switch` on the command is `dispatch`).
 * @returns the message, or the fetch's error.
 */
export function qmHandleCmdMsg(
  qm: HisiQm,
  funNum: number,
  dispatch: (msg: QmIfcMessage, funNum: number) => void,
): QmIfcMessage | KernelError {
  let msg: QmIfcMessage;
  try {
    msg = qmGetIfc(qm, funNum);
  } catch (e) {
    qmClearCmdInterrupt(qm, 1n << BigInt(funNum));
    if (e instanceof KernelError) return e;
    throw e;
  }
  qmClearCmdInterrupt(qm, 1n << BigInt(funNum));
  dispatch(msg, funNum);
  return msg;
}

/**
 * The IFC work: on the PF, read the pending VF bits (QM_IFC_INT_SOURCE_P, 64-bit) and receive from each
 * VF 1..vfsNum that has one; on a VF, receive from the PF (function 0).
 *
 * Kernel counterpart: `qm_cmd_process()` in qm.c.
 * @returns the functions a message was received from.
 */
export function qmCmdProcess(qm: HisiQm, dispatch: (msg: QmIfcMessage, funNum: number) => void): number[] {
  if (qm.funType === 'VF') {
    qmHandleCmdMsg(qm, 0, dispatch);
    return [0];
  }
  const pending = readq(qm.ioBase, QM_IFC_INT_SOURCE_P);
  const from: number[] = [];
  for (let i = 1; i <= qm.vfsNum; i++) {
    if ((pending & (1n << BigInt(i))) !== 0n) {
      qmHandleCmdMsg(qm, i, dispatch);
      from.push(i);
    }
  }
  return from;
}
