import { KernelError, readq } from '@vfio-sim/platform';
import {
  QM_PF_RESET_DONE,
  QM_PF_SRST_PREPARE,
  QM_VF_PREPARE_DONE,
  QM_VF_PREPARE_FAIL,
  QM_VF_START_DONE,
  QM_VF_START_FAIL,
} from '../regs/mailbox.js';
import { QM_IFC_INT_SOURCE_P } from '../regs/registers.js';
import { QM_HW_V3 } from '../regs/versions.js';
import type { HisiQm } from './hisi-qm.js';
import { hisiQmDevErrInit } from './hw-error.js';
import {
  QM_MAX_PF_WAIT_COUNT,
  QM_WAIT_DST_ACK,
  qmClearCmdInterrupt,
  qmCmdInit,
  qmCmdUninit,
  qmGetIfc,
  qmPingAllVfs,
} from './ifc.js';
import { qmDevMemReset } from './mem-reset.js';
import { hisiQmStop, qmRestart } from './qm-start-stop.js';
import { qmVfQAssign } from './vft.js';

/** ms `qm_wait_reset_finish()` waits at most for another reset to end (`QM_RESET_WAIT_TIMEOUT`). */
export const QM_RESET_WAIT_TIMEOUT = 400;

/**
 * What a controller reset needs of the hardware: the chip reset the platform firmware performs (the
 * device model's `QmDevice.softReset`).
 */
export interface QmSoftResetPort {
  /** Reset the whole chip: every function's queues, contexts and registers back to their reset values. */
  softReset(): void;
}

function msleep(qm: HisiQm, ms: number): void {
  qm.clock.udelay(ms * 1000);
}

/**
 * Take the function's QM_RESETTING bit, waiting (1, 2, 3 … ms) for a reset in progress to end.
 * Kernel counterpart: `qm_reset_prepare_ready()` → `qm_wait_reset_finish()`.
 * @throws KernelError EBUSY after QM_RESET_WAIT_TIMEOUT tries.
 */
export function qmResetPrepareReady(qm: HisiQm): void {
  let delay = 0;
  while (qm.miscCtl.resetting) {
    msleep(qm, ++delay);
    if (delay > QM_RESET_WAIT_TIMEOUT) throw new KernelError('EBUSY', `${qm.name}: reset not ready`);
  }
  qm.miscCtl.resetting = true;
}

/** Drop the QM_RESETTING bit. Kernel counterpart: `qm_reset_bit_clear()`. */
export function qmResetBitClear(qm: HisiQm): void {
  qm.miscCtl.resetting = false;
}

/**
 * PF: wait (10 ms steps, at most 10) until every VF has sent its answer to a reset command (its bit in
 * QM_IFC_INT_SOURCE_P), read each answer (QM_VF_PREPARE_FAIL / QM_VF_START_FAIL are logged), log the VFs
 * that sent nothing, then acknowledge them all. V3 only (earlier hardware has no PF↔VF messages).
 *
 * Kernel counterpart: `qm_wait_vf_prepare_finish()` with `qm_handle_vf_msg()`.
 * @returns EBUSY if some VF did not answer in time (the flow goes on, as in the kernel).
 */
export function qmWaitVfPrepareFinish(qm: HisiQm): KernelError | undefined {
  const n = qm.vfsNum;
  if (n === 0 || qm.ver < QM_HW_V3) return undefined;
  const all = ((1n << BigInt(n + 1)) - 1n) & ~1n;
  let val = 0n;
  let ret: KernelError | undefined;
  let cnt = 0;
  for (;;) {
    val = readq(qm.ioBase, QM_IFC_INT_SOURCE_P);
    if ((val & all) === all) break;
    if (++cnt > QM_MAX_PF_WAIT_COUNT) {
      ret = new KernelError('EBUSY', `${qm.name}: VFs did not answer the reset command`, {
        answered: `0x${(val & all).toString(16)}`,
      });
      break;
    }
    msleep(qm, QM_WAIT_DST_ACK);
  }
  for (let i = 1; i <= n; i++) {
    if ((val & (1n << BigInt(i))) !== 0n) qmHandleVfMsg(qm, i);
    else qm.log.push(`VF(${i}) not ping PF!`);
  }
  qmClearCmdInterrupt(qm, val);
  return ret;
}

/** Read and log one VF's answer. Kernel counterpart: `qm_handle_vf_msg()`. */
function qmHandleVfMsg(qm: HisiQm, vfId: number): void {
  let cmd: number;
  try {
    cmd = qmGetIfc(qm, vfId).cmd;
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
    qm.log.push(`failed to get msg from VF(${vfId})!`);
    return;
  }
  if (cmd === QM_VF_PREPARE_FAIL) qm.log.push(`failed to stop VF(${vfId})!`);
  else if (cmd === QM_VF_START_FAIL) qm.log.push(`failed to start VF(${vfId})!`);
  else if (cmd !== QM_VF_PREPARE_DONE && cmd !== QM_VF_START_DONE)
    qm.log.push(`unsupported cmd ${cmd} sent by VF(${vfId})!`);
}

/**
 * PF: tell every VF a reset is coming (`cmd` = QM_PF_SRST_PREPARE or QM_PF_FLR_PREPARE) over the IFC
 * (V3). A VF that does not take the message is logged; the reset goes on.
 *
 * Kernel counterpart: `qm_try_stop_vfs()` (V3: `qm_ping_all_vfs()`; earlier hardware stops the
 * host's VF drivers through `qm_vf_reset_prepare()`, which has nothing to stop here: VFs run in guests).
 */
export function qmTryStopVfs(qm: HisiQm, cmd: number): KernelError | undefined {
  if (qm.vfsNum === 0 || qm.ver < QM_HW_V3) return undefined;
  return pingAllVfsOrLog(qm, cmd, 'failed to send cmd to all VFs before PF reset!');
}

/** {@link qmPingAllVfs}; on failure log `message` and return the error (the reset flow goes on). */
function pingAllVfsOrLog(qm: HisiQm, cmd: number, message: string): KernelError | undefined {
  try {
    qmPingAllVfs(qm, cmd);
    return undefined;
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
    qm.log.push(message);
    return e;
  }
}

/**
 * PF: give the VFs their queues again (the reset cleared the VFT) and tell them the reset is done
 * (`cmd` = QM_PF_RESET_DONE), V3.
 *
 * Kernel counterpart: `qm_try_start_vfs()`.
 * @throws KernelError from `qm_vf_q_assign()`.
 */
export function qmTryStartVfs(qm: HisiQm, cmd: number): KernelError | undefined {
  if (qm.vfsNum === 0) return undefined;
  try {
    qmVfQAssign(qm, qm.vfsNum);
  } catch (e) {
    if (e instanceof KernelError) qm.log.push(`failed to assign VFs, ret = ${e.ret}.`);
    throw e;
  }
  if (qm.ver < QM_HW_V3) return undefined;
  return pingAllVfsOrLog(qm, cmd, 'failed to send cmd to all VFs after PF reset!');
}

/**
 * The PF's controller reset after a hardware error that needs one: prepare (take QM_RESETTING, mask the
 * IFC interrupt, QM_PF_SRST_PREPARE to the VFs, stop the PF's QM, collect the VFs' answers), reset the
 * chip, then bring it back (error reporting, memory init, the PF's QM restarted, the VFs' queues
 * assigned again and QM_PF_RESET_DONE sent, their answers collected, IFC unmasked, QM_RESETTING
 * dropped).
 *
 * Kernel counterpart: `hisi_qm_controller_reset()` (the reset work `qm_abnormal_irq()` schedules) →
 * `qm_controller_reset()`: `qm_controller_reset_prepare()`, `qm_soft_reset()`,
 * `qm_controller_reset_done()`. Not modelled: runtime PM, the MSE/MSI/master-OOO register sequence
 * around the ACPI reset method, the engine's `hw_init` and last-words registers.
 * @throws KernelError from the step that failed (QM_RST_SCHED is cleared either way; on a failed
 * prepare or restart QM_RESETTING is dropped too, as in the kernel).
 */
export function qmControllerReset(qm: HisiQm, port: QmSoftResetPort): void {
  qm.log.push('Controller resetting...');
  try {
    qmControllerResetPrepare(qm);
  } finally {
    qm.miscCtl.rstSched = false;
  }
  port.softReset();
  try {
    qmControllerResetDone(qm);
  } catch (e) {
    qmResetBitClear(qm);
    throw e;
  }
  qm.log.push('Controller reset complete');
}

/** Kernel counterpart: `qm_controller_reset_prepare()`. */
function qmControllerResetPrepare(qm: HisiQm): void {
  try {
    qmResetPrepareReady(qm);
  } catch (e) {
    qm.log.push('Controller reset not ready!');
    throw e;
  }
  qmCmdUninit(qm);
  if (qmTryStopVfs(qm, QM_PF_SRST_PREPARE) !== undefined) {
    qm.log.push('failed to stop vfs by pf in soft reset.');
  }
  try {
    hisiQmStop(qm, 'SOFT_RESET');
  } catch (e) {
    qm.log.push('Fails to stop QM!');
    qmResetBitClear(qm);
    throw e;
  }
  if (qmWaitVfPrepareFinish(qm) !== undefined) qm.log.push('failed to stop by vfs in soft reset!');
}

/** Kernel counterpart: `qm_controller_reset_done()` (V3: nothing to undo around the ECC handling). */
function qmControllerResetDone(qm: HisiQm): void {
  hisiQmDevErrInit(qm);
  try {
    qmDevMemReset(qm);
  } catch (e) {
    qm.log.push('failed to reset device memory');
    throw e;
  }
  try {
    qmRestart(qm);
  } catch (e) {
    qm.log.push('Failed to start QM!');
    throw e;
  }
  if (qmTryStartVfs(qm, QM_PF_RESET_DONE) !== undefined) {
    qm.log.push('failed to start vfs by pf in soft reset.');
  }
  if (qmWaitVfPrepareFinish(qm) !== undefined) qm.log.push('failed to start by vfs in soft reset!');
  qmCmdInit(qm);
  qm.errStatus.isQmEccMbit = false;
  qmResetBitClear(qm);
}
