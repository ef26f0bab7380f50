/**
 * QM register offsets in BAR2, with their kernel names.
 *
 * Offsets below 0x10000 exist in every function (PF and VF); offsets at 0x100000+ are PF-only global
 * registers; 0x300000+ are the accelerator engine's registers (PF). The VF BAR2 is 64 KiB: the low
 * 32 KiB is the functional space, the high 32 KiB the migration-control space (EQC/AEQC images).
 *
 * Kernel counterpart: the `#define`s at the top of drivers/crypto/hisilicon/qm.c,
 * include/linux/hisi_acc_qm.h and drivers/vfio/pci/hisilicon/hisi_acc_vfio_pci.h.
 */

// --- per-function interrupt sources and masks ---
/** AEQ interrupt pending (W1C). */
export const QM_VF_AEQ_INT_SOURCE = 0x0000;
/** AEQ interrupt mask, 1 = masked. */
export const QM_VF_AEQ_INT_MASK = 0x0004;
/** EQ interrupt pending (W1C). */
export const QM_VF_EQ_INT_SOURCE = 0x0008;
/** EQ interrupt mask, 1 = masked. */
export const QM_VF_EQ_INT_MASK = 0x000c;

// --- inter-function communication, function side ---
/** PF→VF message pending; write bit0 to clear (VF view). */
export const QM_IFC_INT_SOURCE_V = 0x0020;
/** bit0 = IFC interrupt disabled. */
export const QM_IFC_INT_MASK = 0x0024;
/** IFC interrupt status (must be 0 before a migration save). */
export const QM_IFC_INT_STATUS = 0x0028;
/** VF→PF trigger; bit0 set by the VF, cleared by the PF's acknowledgement. */
export const QM_IFC_INT_SET_V = 0x002c;
/** bit0 = doorbell isolation enabled (function view). */
export const QM_QUE_ISO_CFG_V = 0x0030;
/** Prefetch page type: 0 = 4K, 1 = 16K, 2 = 64K (V3+). */
export const QM_PAGE_SIZE = 0x0034;
/** Written by the (guest) VF driver: QM_READY at start, QM_NOT_READY at uninit. */
export const QM_VF_STATE = 0x0060;

// --- cache write-back ---
/** Write 1 to write the SQC/CQC caches back to memory. */
export const QM_CACHE_WB_START = 0x0204;
/** bit0 = write-back done. */
export const QM_CACHE_WB_DONE = 0x0208;

// --- mailbox ---
/** The 128-bit mailbox (one 16-byte write). */
export const QM_MB_CMD_SEND_BASE = 0x0300;
/** Low 32 bits of a read-direction command's result. */
export const QM_MB_CMD_DATA_ADDR_L = 0x0304;
/** High 32 bits of a read-direction command's result. */
export const QM_MB_CMD_DATA_ADDR_H = 0x0308;

// --- doorbells ---
/** V1 doorbell (all queue types). */
export const QM_DOORBELL_BASE_V1 = 0x0340;
/** V2/V3 SQ/CQ doorbell (BAR2 when not isolated; BAR4 + qn × QM_QP_DB_INTERVAL when isolated). */
export const QM_DOORBELL_SQ_CQ_BASE_V2 = 0x1000;
/** V2/V3 EQ/AEQ doorbell (always BAR2). */
export const QM_DOORBELL_EQ_AEQ_BASE_V2 = 0x2000;
/** Bytes of BAR4 per queue when doorbells are isolated. */
export const QM_QP_DB_INTERVAL = 0x10000;

// --- VF migration-control half ---
/** First of 7 dwords: the live EQC image (VF BAR2, migration half). */
export const QM_EQC_DW0 = 0x8000;
/** First of 7 dwords: the live AEQC image (VF BAR2, migration half). */
export const QM_AEQC_DW0 = 0x8020;
/** Number of dwords in the EQC/AEQC images. */
export const QM_REGS_MAX_LEN = 7;
/** Stride between image dwords. */
export const QM_REG_ADDR_OFFSET = 0x0004;

// --- PF-only global registers ---
/** RAS source (W1C). */
export const QM_ABNORMAL_INT_SOURCE = 0x100000;
/** RAS mask. */
export const QM_ABNORMAL_INT_MASK = 0x100004;
/** RAS status (source & ~mask); must be 0 before a migration save. */
export const QM_ABNORMAL_INT_STATUS = 0x100008;
/** RAS set (test trigger). */
export const QM_ABNORMAL_INT_SET = 0x10000c;
/** Which errors are reported as correctable (RW). */
export const QM_RAS_CE_ENABLE = 0x1000ec;
/** Which errors are reported as fatal (RW). */
export const QM_RAS_FE_ENABLE = 0x1000f0;
/** Which errors are reported as non-fatal (RW). */
export const QM_RAS_NFE_ENABLE = 0x1000f4;
/** Correctable errors per interrupt (RW). */
export const QM_RAS_CE_THRESHOLD = 0x1000f8;
/** `QM_RAS_CE_TIMES_PER_IRQ`: the threshold qm.c programs. */
export const QM_RAS_CE_TIMES_PER_IRQ = 1;
/** V3: errors that close the master OOO (RW). */
export const QM_OOO_SHUTDOWN_SEL = 0x1040f8;
/** Write 1 to start memory init. */
export const QM_MEM_START_INIT = 0x100040;
/** bit0 = memory init done. */
export const QM_MEM_INIT_DONE = 0x100044;
/** VFT: write 1 to run the configured operation. */
export const QM_VFT_CFG_OP_ENABLE = 0x100054;
/** VFT: 0 = write, 1 = read. */
export const QM_VFT_CFG_OP_WR = 0x100058;
/** VFT: QM_SQC_VFT / QM_CQC_VFT / QM_SHAPER_VFT. */
export const QM_VFT_CFG_TYPE = 0x10005c;
/** VFT: function number (shaper: fun | base << 6). */
export const QM_VFT_CFG = 0x100060;
/** VFT data, low 32 bits. */
export const QM_VFT_CFG_DATA_L = 0x100064;
/** VFT data, high 32 bits. */
export const QM_VFT_CFG_DATA_H = 0x100068;
/** VFT: bit0 = ready (software writes 0 before enabling; hardware sets it when done). */
export const QM_VFT_CFG_RDY = 0x10006c;
/** IFC: per-VF "message not yet taken" bits (bit i = function i). */
export const QM_IFC_READY_STATUS = 0x100128;
/** IFC: PF→VF trigger (bit0). */
export const QM_IFC_INT_SET_P = 0x100130;
/** IFC: target VF select, low 7 bits (0x7f = all). */
export const QM_IFC_INT_CFG = 0x100134;
/** IFC: VF→PF pending bits, bit i = VF i (W1C). */
export const QM_IFC_INT_SOURCE_P = 0x100138;
/** bit0 = doorbell isolation (PF view). */
export const QM_QUE_ISO_EN = 0x100154;
/** Queue counts: bits[10:0] total, bits[21:11] max per function. */
export const QM_CAPBILITY = 0x100158;
/** bit0 = PF-controlled migration region (newer hardware). */
export const QM_MIG_REGION_SEL = 0x100198;

// --- engine interrupt status (PF) ---
/** SEC engine interrupt status. */
export const SEC_CORE_INT_STATUS = 0x301008;
/** HPRE engine interrupt status. */
export const HPRE_HAC_INT_STATUS = 0x301800;
/** ZIP engine interrupt status. */
export const HZIP_CORE_INT_STATUS = 0x3010ac;

// --- field values ---
/** QM_VFT_CFG_TYPE: the SQC VFT. */
export const QM_SQC_VFT = 0;
/** QM_VFT_CFG_TYPE: the CQC VFT. */
export const QM_CQC_VFT = 1;
/** QM_VFT_CFG_TYPE: the shaper (QoS) VFT. */
export const QM_SHAPER_VFT = 2;
/** `enum qm_vf_state`: the VF driver has started. */
export const QM_READY = 0;
/** `enum qm_vf_state`: no VF driver running. */
export const QM_NOT_READY = 1;
/** IFC_INT_CFG value selecting all VFs. */
export const QM_IFC_SEND_ALL_VFS = 0x7f;
/** Bits [10:0] of QM_CAPBILITY: total queues. */
export const QM_QP_NUN_MASK = 0x7ff;
/** Shift of the per-function maximum in QM_CAPBILITY. */
export const QM_QP_MAX_NUM_SHIFT = 11;

// --- sizes ---
/** VF BAR2 length on QM_HW_V3. */
export const QM_VF_BAR2_SIZE = 0x10000;
/** PF BAR2 length modelled (covers 0x100000 globals and 0x30xxxx engine registers). */
export const QM_PF_BAR2_SIZE = 0x400000;
