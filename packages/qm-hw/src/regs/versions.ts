/**
 * Hardware versions, function types, PCI identity and interrupt vectors.
 *
 * Kernel counterpart: `enum qm_hw_ver`, `enum qm_fun_type` (include/linux/hisi_acc_qm.h), the PCI ids in
 * include/linux/pci_ids.h and the drivers, the IRQ vector defines in qm.c.
 */

/** Kunpeng 920 (= PCI revision id). */
export const QM_HW_V1 = 0x20;
/** Kunpeng 920 later stepping. */
export const QM_HW_V2 = 0x21;
/** Kunpeng 930: migration capable. */
export const QM_HW_V3 = 0x30;
/** A supported hardware version. */
export type QmHwVer = typeof QM_HW_V1 | typeof QM_HW_V2 | typeof QM_HW_V3;

/** `enum qm_fun_type`: physical function. */
export const QM_HW_PF = 0;
/** `enum qm_fun_type`: virtual function. */
export const QM_HW_VF = 1;

/** Huawei's PCI vendor id. */
export const PCI_VENDOR_ID_HUAWEI = 0x19e5;
/** ZIP PF. */
export const PCI_DEVICE_ID_HUAWEI_ZIP_PF = 0xa250;
/** ZIP VF. */
export const PCI_DEVICE_ID_HUAWEI_ZIP_VF = 0xa251;
/** SEC PF. */
export const PCI_DEVICE_ID_HUAWEI_SEC_PF = 0xa255;
/** SEC VF. */
export const PCI_DEVICE_ID_HUAWEI_SEC_VF = 0xa256;
/** HPRE PF. */
export const PCI_DEVICE_ID_HUAWEI_HPRE_PF = 0xa258;
/** HPRE VF. */
export const PCI_DEVICE_ID_HUAWEI_HPRE_VF = 0xa259;

/** The accelerator kinds sharing the QM. */
export type QmKind = 'zip' | 'sec' | 'hpre';

/** PF/VF device ids of each kind. */
export const QM_DEVICE_IDS: Readonly<Record<QmKind, { readonly pf: number; readonly vf: number }>> = {
  zip: { pf: PCI_DEVICE_ID_HUAWEI_ZIP_PF, vf: PCI_DEVICE_ID_HUAWEI_ZIP_VF },
  sec: { pf: PCI_DEVICE_ID_HUAWEI_SEC_PF, vf: PCI_DEVICE_ID_HUAWEI_SEC_VF },
  hpre: { pf: PCI_DEVICE_ID_HUAWEI_HPRE_PF, vf: PCI_DEVICE_ID_HUAWEI_HPRE_VF },
};

/** Completion event queue interrupt. */
export const QM_EQ_EVENT_IRQ_VECTOR = 0;
/** Asynchronous event queue interrupt (V2+). */
export const QM_AEQ_EVENT_IRQ_VECTOR = 1;
/** IFC (PF↔VF command) interrupt (V3+). */
export const QM_CMD_EVENT_IRQ_VECTOR = 2;
/** Abnormal (RAS) interrupt (PF). */
export const QM_ABNORMAL_EVENT_IRQ_VECTOR = 3;

/** Queues of a V1 QM. */
export const QM_QNUM_V1 = 4096;
/** Queues of a V2 QM. */
export const QM_QNUM_V2 = 1024;
/** Most VFs of one PF. */
export const QM_MAX_VFS_NUM_V2 = 63;
/** Default SQ/CQ/AEQ depth. */
export const QM_Q_DEPTH = 1024;
/** Default EQ depth. */
export const QM_EQ_DEPTH = 2048;
