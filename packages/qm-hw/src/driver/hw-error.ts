import {
  QM_ABNORMAL_INT_MASK_VALUE,
  QM_ABNORMAL_INT_SOURCE_CLR,
  QM_ECC_MBIT,
  QM_HW_ERRORS,
  type QmHwErrorName,
  qmErrMasks,
} from '../regs/hw-error.js';
import {
  QM_ABNORMAL_INT_MASK,
  QM_ABNORMAL_INT_SOURCE,
  QM_ABNORMAL_INT_STATUS,
  QM_OOO_SHUTDOWN_SEL,
  QM_RAS_CE_ENABLE,
  QM_RAS_CE_THRESHOLD,
  QM_RAS_CE_TIMES_PER_IRQ,
  QM_RAS_FE_ENABLE,
  QM_RAS_NFE_ENABLE,
} from '../regs/registers.js';
import { QM_HW_V1, QM_HW_V3 } from '../regs/versions.js';
import type { HisiQm } from './hisi-qm.js';

/**
 * What handling a hardware error decided: nothing to handle, the device needs a controller reset, or
 * the error was cleared. Kernel counterpart: `enum acc_err_result` (`ACC_ERR_NONE`,
 * `ACC_ERR_NEED_RESET`, `ACC_ERR_RECOVERED`).
 */
export type AccErrResult = 'NONE' | 'NEED_RESET' | 'RECOVERED';

/**
 * Set up the QM's error reporting on the PF (`qm->err_info` from the accelerator's capability masks):
 * clear any residual source, program the RAS enables (V2+), on V3 the errors that close the master OOO,
 * and unmask the reported errors in QM_ABNORMAL_INT_MASK. V1: mask everything. A VF does nothing.
 *
 * Kernel counterpart: `hisi_qm_dev_err_init()` → `qm_hw_error_init()` → `qm_hw_error_init_v1/_v2/_v3()`
 * (`qm_hw_error_cfg()`), with `err_info` from `hisi_zip_err_info_init()` / `sec_err_info_init()` /
 * `hpre_err_info_init()`. The engine half (`err_ini->hw_err_enable`) is not modelled.
 */
export function hisiQmDevErrInit(qm: HisiQm): void {
  if (qm.funType === 'VF') return;
  const io = qm.ioBase;
  if (qm.ver === QM_HW_V1) {
    io.writel(QM_ABNORMAL_INT_MASK, QM_ABNORMAL_INT_MASK_VALUE);
    return;
  }
  const err = qm.errInfo ?? qmErrMasks(qm.deviceId, qm.ver);
  if (err === undefined) {
    qm.log.push("QM doesn't support hw error handling!");
    return;
  }
  qm.errInfo = err;
  qm.errorMask = (err.ce | err.nfe | err.fe) >>> 0;
  io.writel(QM_ABNORMAL_INT_SOURCE, QM_ABNORMAL_INT_SOURCE_CLR);
  io.writel(QM_RAS_CE_ENABLE, err.ce);
  io.writel(QM_RAS_CE_THRESHOLD, QM_RAS_CE_TIMES_PER_IRQ);
  io.writel(QM_RAS_NFE_ENABLE, err.nfe);
  io.writel(QM_RAS_FE_ENABLE, err.fe);
  if (qm.ver >= QM_HW_V3) io.writel(QM_OOO_SHUTDOWN_SEL, err.shutdownMask);
  io.writel(QM_ABNORMAL_INT_MASK, (io.readl(QM_ABNORMAL_INT_MASK) & ~qm.errorMask) >>> 0);
}

/**
 * Mask every QM error again (and on V3 stop closing the master OOO). A VF does nothing.
 * Kernel counterpart: `hisi_qm_dev_err_uninit()` → `qm_hw_error_uninit_v2/_v3()`.
 */
export function hisiQmDevErrUninit(qm: HisiQm): void {
  if (qm.funType === 'VF' || qm.ver === QM_HW_V1) return;
  qm.ioBase.writel(QM_ABNORMAL_INT_MASK, QM_ABNORMAL_INT_MASK_VALUE);
  if (qm.ver >= QM_HW_V3) qm.ioBase.writel(QM_OOO_SHUTDOWN_SEL, 0);
}

/** The rows of `qm_hw_error[]` whose bit is set in `errorStatus`, in bit order. */
export function qmHwErrorsIn(errorStatus: number): QmHwErrorName[] {
  return QM_HW_ERRORS.filter((err) => (err.intMsk & errorStatus) !== 0);
}

/**
 * The messages `qm_log_hw_error()` prints for `errorStatus`: `"<name> [error status=0x<bit>] found"` per
 * set bit, in bit order. (The QM_DB_TIMEOUT / QM_OF_FIFO_OF details from QM_ABNORMAL_INF00/01 are not
 * modelled: the model never raises those errors itself.)
 * Kernel counterpart: `qm_log_hw_error()`.
 */
export function qmLogHwError(errorStatus: number): string[] {
  return qmHwErrorsIn(errorStatus).map(
    (err) => `${err.msg} [error status=0x${err.intMsk.toString(16)}] found`,
  );
}

/**
 * Read QM_ABNORMAL_INT_STATUS; if it holds a configured error, log it and decide: an error in the
 * reset mask needs a controller reset (QM_RAS_NFE_ENABLE drops those bits until the reset; the source
 * stays set); anything else is cleared in QM_ABNORMAL_INT_SOURCE and reporting re-enabled
 * (recovered).
 *
 * Kernel counterpart: `qm_hw_error_handle_v2()` (via `qm_hw_error_handle()`); V1 has no handler
 * (ACC_ERR_NONE).
 */
export function qmHwErrorHandle(qm: HisiQm): AccErrResult {
  const err = qm.errInfo;
  if (qm.ver === QM_HW_V1 || err === undefined) {
    qm.log.push("QM doesn't support hw error report!");
    return 'NONE';
  }
  const io = qm.ioBase;
  const status = io.readl(QM_ABNORMAL_INT_STATUS);
  if ((status & qm.errorMask) === 0) return 'RECOVERED';
  if ((status & QM_ECC_MBIT) !== 0) qm.errStatus.isQmEccMbit = true;
  for (const line of qmLogHwError(status)) qm.log.push(line);
  if ((status & err.resetMask) !== 0) {
    io.writel(QM_RAS_NFE_ENABLE, (err.nfe & ~status) >>> 0);
    return 'NEED_RESET';
  }
  io.writel(QM_ABNORMAL_INT_SOURCE, status);
  io.writel(QM_RAS_NFE_ENABLE, err.nfe);
  io.writel(QM_RAS_CE_ENABLE, err.ce);
  return 'RECOVERED';
}

/**
 * Handle the QM's and the device's hardware errors: NEED_RESET if either needs a controller reset.
 * The device (engine) half — `hisi_zip_get_err_result()` & co. over the engine's own RAS registers — is
 * not modelled (the model's engine reports no errors of its own), so this is the QM's verdict, with
 * ACC_ERR_NONE read as RECOVERED as qm.c does.
 *
 * Kernel counterpart: `qm_process_dev_error()`.
 */
export function qmProcessDevError(qm: HisiQm): AccErrResult {
  return qmHwErrorHandle(qm) === 'NEED_RESET' ? 'NEED_RESET' : 'RECOVERED';
}
