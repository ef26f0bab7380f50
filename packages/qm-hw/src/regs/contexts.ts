import { defineStruct } from '@vfio-sim/platform';

/**
 * Queue contexts and queue entries, little-endian, as the hardware reads them by DMA.
 *
 * Kernel counterpart: `struct qm_sqc`, `qm_cqc`, `qm_eqc`, `qm_aeqc`, `qm_cqe`, `qm_eqe`, `qm_aeqe`,
 * `qm_doorbell` and the `QM_MK_*` / shift macros in drivers/crypto/hisilicon/qm.c.
 */

/** `struct qm_sqc` (32 bytes). */
export const qm_sqc = defineStruct(
  'qm_sqc',
  [
    { name: 'head', type: 'u16', offset: 0 },
    { name: 'tail', type: 'u16', offset: 2 },
    { name: 'base_l', type: 'u32', offset: 4 },
    { name: 'base_h', type: 'u32', offset: 8 },
    { name: 'dw3', type: 'u32', offset: 12 },
    { name: 'w8', type: 'u16', offset: 16 },
    { name: 'rsvd0', type: 'u16', offset: 18 },
    { name: 'pasid', type: 'u16', offset: 20 },
    { name: 'w11', type: 'u16', offset: 22 },
    { name: 'cq_num', type: 'u16', offset: 24 },
    { name: 'w13', type: 'u16', offset: 26 },
    { name: 'rsvd1', type: 'u32', offset: 28 },
  ] as const,
  { size: 32 },
);

/** `struct qm_cqc` (32 bytes). */
export const qm_cqc = defineStruct(
  'qm_cqc',
  [
    { name: 'head', type: 'u16', offset: 0 },
    { name: 'tail', type: 'u16', offset: 2 },
    { name: 'base_l', type: 'u32', offset: 4 },
    { name: 'base_h', type: 'u32', offset: 8 },
    { name: 'dw3', type: 'u32', offset: 12 },
    { name: 'w8', type: 'u16', offset: 16 },
    { name: 'rsvd0', type: 'u16', offset: 18 },
    { name: 'pasid', type: 'u16', offset: 20 },
    { name: 'w11', type: 'u16', offset: 22 },
    { name: 'dw6', type: 'u32', offset: 24 },
    { name: 'rsvd1', type: 'u32', offset: 28 },
  ] as const,
  { size: 32 },
);

/** `struct qm_eqc` (28 bytes = 7 dwords). */
export const qm_eqc = defineStruct(
  'qm_eqc',
  [
    { name: 'head', type: 'u16', offset: 0 },
    { name: 'tail', type: 'u16', offset: 2 },
    { name: 'base_l', type: 'u32', offset: 4 },
    { name: 'base_h', type: 'u32', offset: 8 },
    { name: 'dw3', type: 'u32', offset: 12 },
    { name: 'rsvd', type: 'u32', count: 2, offset: 16 },
    { name: 'dw6', type: 'u32', offset: 24 },
  ] as const,
  { size: 28 },
);

/** `struct qm_aeqc` (28 bytes, same layout as the EQC). */
export const qm_aeqc = defineStruct(
  'qm_aeqc',
  [
    { name: 'head', type: 'u16', offset: 0 },
    { name: 'tail', type: 'u16', offset: 2 },
    { name: 'base_l', type: 'u32', offset: 4 },
    { name: 'base_h', type: 'u32', offset: 8 },
    { name: 'dw3', type: 'u32', offset: 12 },
    { name: 'rsvd', type: 'u32', count: 2, offset: 16 },
    { name: 'dw6', type: 'u32', offset: 24 },
  ] as const,
  { size: 28 },
);

/**
 * `struct qm_cqe` (16 bytes). Model note: the hardware writes the job status (QM_SQE_STATUS_*) into
 * `rsvd0` as well as into the SQE, so a driver can see failures from the CQE alone.
 */
export const qm_cqe = defineStruct(
  'qm_cqe',
  [
    { name: 'rsvd0', type: 'u32', offset: 0 },
    { name: 'cmd_id', type: 'u16', offset: 4 },
    { name: 'rsvd1', type: 'u16', offset: 6 },
    { name: 'sq_head', type: 'u16', offset: 8 },
    { name: 'sq_num', type: 'u16', offset: 10 },
    { name: 'rsvd2', type: 'u16', offset: 12 },
    { name: 'w7', type: 'u16', offset: 14 },
  ] as const,
  { size: 16 },
);

/** `struct qm_eqe` (4 bytes): dw0 = cq number [15:0] | phase << 16. */
export const qm_eqe = defineStruct('qm_eqe', [{ name: 'dw0', type: 'u32', offset: 0 }] as const, { size: 4 });

/** `struct qm_aeqe` (4 bytes): dw0 = qp number [15:0] | phase << 16 | type << 17. */
export const qm_aeqe = defineStruct('qm_aeqe', [{ name: 'dw0', type: 'u32', offset: 0 }] as const, {
  size: 4,
});

/** `struct qm_doorbell` (V1 view, 8 bytes). */
export const qm_doorbell = defineStruct(
  'qm_doorbell',
  [
    { name: 'queue_num', type: 'u16', offset: 0 },
    { name: 'cmd', type: 'u16', offset: 2 },
    { name: 'index', type: 'u16', offset: 4 },
    { name: 'priority', type: 'u16', offset: 6 },
  ] as const,
  { size: 8 },
);

// --- field encodings ---
/** SQC dw3 / V1: hop number shift. */
export const QM_SQ_HOP_NUM_SHIFT = 0;
/** SQC dw3 / V1: page size shift. */
export const QM_SQ_PAGE_SIZE_SHIFT = 4;
/** SQC dw3 / V1: buffer size shift. */
export const QM_SQ_BUF_SIZE_SHIFT = 8;
/** SQC dw3: log2(SQE size) shift. */
export const QM_SQ_SQE_SIZE_SHIFT = 12;
/** SQC w13: priority shift. */
export const QM_SQ_PRIORITY_SHIFT = 0;
/** SQC w13: orders shift. */
export const QM_SQ_ORDERS_SHIFT = 4;
/** SQC w13: algorithm type shift. */
export const QM_SQ_TYPE_SHIFT = 8;
/** SQC w13: algorithm type mask. */
export const QM_SQ_TYPE_MASK = 0xf;
/** SQC/CQC: PASID enable value. */
export const QM_QC_PASID_ENABLE = 0x1;
/** SQC w11: PASID enable bit. */
export const QM_QC_PASID_ENABLE_SHIFT = 7;
/** CQC dw3: log2(CQE size) shift. */
export const QM_CQ_CQE_SIZE_SHIFT = 12;
/** CQC dw6: phase bit. */
export const QM_CQ_PHASE_SHIFT = 0;
/** CQC dw6: flag bit (interrupt on completion). */
export const QM_CQ_FLAG_SHIFT = 1;
/** CQC dw3: log2(16) = CQE size code. */
export const QM_QC_CQE_SIZE = 4;
/** EQC/AEQC dw6: phase bit. */
export const QM_EQC_PHASE_SHIFT = 16;
/** AEQE: type shift. */
export const QM_AEQE_TYPE_SHIFT = 17;
/** AEQE type: CQ overflow. */
export const QM_CQ_OVERFLOW = 0;
/** AEQE type: EQ overflow. */
export const QM_EQ_OVERFLOW = 1;
/** AEQE type: CQE error. */
export const QM_CQE_ERROR = 2;
/** EQE/AEQE: queue number mask. */
export const QM_EQE_CQN_MASK = 0xffff;
/** EQE/AEQE phase bit position in dw0. */
export const QM_EQE_PHASE_SHIFT = 16;
/** Size of one EQE/AEQE. */
export const QM_EQE_SIZE = 4;
/** Size of one CQE. */
export const QM_CQE_SIZE = 16;

/** SQC dw3 (V2+): `(depth − 1) | log2(sqeSize) << 12`. Kernel counterpart: `QM_MK_SQC_DW3_V2`. */
export function qmMkSqcDw3V2(sqeSize: number, depth: number): number {
  return ((depth - 1) | (Math.log2(sqeSize) << QM_SQ_SQE_SIZE_SHIFT)) >>> 0;
}

/** CQC dw3 (V2+): `(depth − 1) | cqeSz << 12`. Kernel counterpart: `QM_MK_CQC_DW3_V2`. */
export function qmMkCqcDw3V2(cqeSz: number, depth: number): number {
  return ((depth - 1) | (cqeSz << QM_CQ_CQE_SIZE_SHIFT)) >>> 0;
}

/** SQC w13: `priority | orders << 4 | (algType & 0xf) << 8`. Kernel counterpart: `QM_MK_SQC_W13`. */
export function qmMkSqcW13(priority: number, orders: number, algType: number): number {
  return (
    (priority << QM_SQ_PRIORITY_SHIFT) |
    (orders << QM_SQ_ORDERS_SHIFT) |
    ((algType & QM_SQ_TYPE_MASK) << QM_SQ_TYPE_SHIFT)
  );
}

/** Queue depth encoded in an SQC/CQC dw3 (V2+): `(dw3 & 0xfff) + 1`. */
export function qmQcDepthV2(dw3: number): number {
  return (dw3 & 0xfff) + 1;
}

/** EQ/AEQ depth in EQC/AEQC dw6: `(dw6 & 0xffff) + 1`. */
export function qmEqcDepth(dw6: number): number {
  return (dw6 & 0xffff) + 1;
}
