import {
  PCI_DEVICE_ID_HUAWEI_HPRE_PF,
  PCI_DEVICE_ID_HUAWEI_SEC_PF,
  PCI_DEVICE_ID_HUAWEI_ZIP_PF,
  QM_HW_V2,
} from './versions.js';

/**
 * The QM's hardware-error (RAS) bits: one bit each in QM_ABNORMAL_INT_SOURCE / _MASK / _STATUS / _SET,
 * and the masks the accelerator drivers configure them with.
 *
 * Kernel counterpart: the `QM_AXI_RRESP` … `QM_FLR_TIMEOUT` defines and `qm_hw_error[]` in
 * drivers/crypto/hisilicon/qm.c (include/linux/hisi_acc_qm.h in older kernels), and the
 * `*_QM_{NFE,RESET,OOO_SHUTDOWN,CE}_MASK_CAP` rows of `zip_basic_cap_info[]`, `sec_basic_info[]` and
 * `hpre_basic_info[]`.
 */

/** An AXI read (device DMA read) completed with an error response. */
export const QM_AXI_RRESP = 1 << 0;
/** An AXI write (device DMA write) completed with an error response. */
export const QM_AXI_BRESP = 1 << 1;
/** Multi-bit ECC error in QM memory. */
export const QM_ECC_MBIT = 1 << 2;
/** Single-bit (corrected) ECC error. */
export const QM_ECC_1BIT = 1 << 3;
/** The accelerator did not take a task in time. */
export const QM_ACC_GET_TASK_TIMEOUT = 1 << 4;
/** The accelerator did not finish a task in time. */
export const QM_ACC_DO_TASK_TIMEOUT = 1 << 5;
/** The accelerator's write-back was not ready in time. */
export const QM_ACC_WB_NOT_READY_TIMEOUT = 1 << 6;
/** A doorbell named an SQ/CQ outside the function. */
export const QM_SQ_CQ_VF_INVALID = 1 << 7;
/** A doorbell named a CQ outside the function. */
export const QM_CQ_VF_INVALID = 1 << 8;
/** A doorbell named an SQ outside the function. */
export const QM_SQ_VF_INVALID = 1 << 9;
/** A doorbell timed out (QM_ABNORMAL_INF01 tells which). */
export const QM_DB_TIMEOUT = 1 << 10;
/** An output FIFO overflowed (QM_ABNORMAL_INF00 tells which). */
export const QM_OF_FIFO_OF = 1 << 11;
/** A doorbell carried an invalid random value. */
export const QM_DB_RANDOM_INVALID = 1 << 12;
/** A mailbox command timed out. */
export const QM_MAILBOX_TIMEOUT = 1 << 13;
/** A function-level reset timed out. */
export const QM_FLR_TIMEOUT = 1 << 14;

/** Every source bit (`QM_ABNORMAL_INT_SOURCE_CLR`, GENMASK(14, 0)). */
export const QM_ABNORMAL_INT_SOURCE_CLR = 0x7fff;
/** Every bit masked (`QM_ABNORMAL_INT_MASK_VALUE`): the mask's reset value and what uninit writes. */
export const QM_ABNORMAL_INT_MASK_VALUE = 0x7fff;

/** `QM_BASE_CE`: the correctable errors. */
export const QM_BASE_CE = QM_ECC_1BIT;

/** One row of `qm_hw_error[]`: the bit and the name qm.c logs for it. */
export interface QmHwErrorName {
  readonly intMsk: number;
  readonly msg: string;
}

/** `qm_hw_error[]`: what `qm_log_hw_error()` prints for each bit, in bit order. */
export const QM_HW_ERRORS: readonly QmHwErrorName[] = [
  { intMsk: QM_AXI_RRESP, msg: 'qm_axi_rresp' },
  { intMsk: QM_AXI_BRESP, msg: 'qm_axi_bresp' },
  { intMsk: QM_ECC_MBIT, msg: 'qm_ecc_mbit' },
  { intMsk: QM_ECC_1BIT, msg: 'qm_ecc_1bit' },
  { intMsk: QM_ACC_GET_TASK_TIMEOUT, msg: 'qm_acc_get_task_timeout' },
  { intMsk: QM_ACC_DO_TASK_TIMEOUT, msg: 'qm_acc_do_task_timeout' },
  { intMsk: QM_ACC_WB_NOT_READY_TIMEOUT, msg: 'qm_acc_wb_not_ready_timeout' },
  { intMsk: QM_SQ_CQ_VF_INVALID, msg: 'qm_sq_cq_vf_invalid' },
  { intMsk: QM_CQ_VF_INVALID, msg: 'qm_cq_vf_invalid' },
  { intMsk: QM_SQ_VF_INVALID, msg: 'qm_sq_vf_invalid' },
  { intMsk: QM_DB_TIMEOUT, msg: 'qm_db_timeout' },
  { intMsk: QM_OF_FIFO_OF, msg: 'qm_of_fifo_of' },
  { intMsk: QM_DB_RANDOM_INVALID, msg: 'qm_db_random_invalid' },
  { intMsk: QM_MAILBOX_TIMEOUT, msg: 'qm_mailbox_timeout' },
  { intMsk: QM_FLR_TIMEOUT, msg: 'qm_flr_timeout' },
];

/**
 * The QM half of `struct hisi_qm_err_info` an accelerator driver sets up (`hisi_zip_err_info_init()`,
 * `sec_err_info_init()`, `hpre_err_info_init()`), from the capability tables.
 */
export interface QmErrMasks {
  /** Correctable errors (`ce`, QM_RAS_CE_ENABLE). */
  readonly ce: number;
  /** Non-fatal errors (`nfe`, QM_RAS_NFE_ENABLE). */
  readonly nfe: number;
  /** Fatal errors (`fe`). */
  readonly fe: number;
  /** Errors that need a controller reset (`qm_reset_mask`). */
  readonly resetMask: number;
  /** Errors that close the master OOO on V3 (`qm_shutdown_mask`, QM_OOO_SHUTDOWN_SEL). */
  readonly shutdownMask: number;
}

/**
 * The QM error masks of the accelerator with PF device id `pfDeviceId` at hardware version `ver`
 * (the V2 / V3 columns of the `*_QM_*_MASK_CAP` rows; `fe` is 0 for the QM).
 * @returns undefined for an unknown device id.
 */
export function qmErrMasks(pfDeviceId: number | undefined, ver: number): QmErrMasks | undefined {
  const v2 = ver <= QM_HW_V2;
  switch (pfDeviceId) {
    case PCI_DEVICE_ID_HUAWEI_ZIP_PF:
      return v2
        ? { ce: 0x8, nfe: 0x1c57, fe: 0, resetMask: 0xc57, shutdownMask: 0x4 }
        : { ce: 0x8, nfe: 0x7c77, fe: 0, resetMask: 0x6c77, shutdownMask: 0x6c77 };
    case PCI_DEVICE_ID_HUAWEI_SEC_PF:
      return v2
        ? { ce: 0x8, nfe: 0x1c77, fe: 0, resetMask: 0xc77, shutdownMask: 0x4 }
        : { ce: 0x8, nfe: 0x7c77, fe: 0, resetMask: 0x6c77, shutdownMask: 0x6c77 };
    case PCI_DEVICE_ID_HUAWEI_HPRE_PF:
      return v2
        ? { ce: 0x8, nfe: 0x1c37, fe: 0, resetMask: 0xc37, shutdownMask: 0x4 }
        : { ce: 0x8, nfe: 0x7c37, fe: 0, resetMask: 0x6c37, shutdownMask: 0x6c37 };
    default:
      return undefined;
  }
}
