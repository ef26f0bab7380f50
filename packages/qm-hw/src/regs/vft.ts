import type { U32Pair } from './doorbell.js';

/**
 * VFT (virtual function table) encodings: which queue range belongs to which function.
 *
 * Kernel counterpart: `qm_vft_data_cfg()` and `qm_get_vft_v2()` in qm.c, `QM_SQC_VFT_*` defines.
 */

/** V1 SQC VFT: buffer size field. */
export const QM_SQC_VFT_BUF_SIZE_LO = 7 << 8;
/** V1 SQC VFT: SQC size field. */
export const QM_SQC_VFT_SQC_SIZE_LO = 5 << 12;
/** V1 SQC VFT: index number field. */
export const QM_SQC_VFT_INDEX_NUMBER_LO = 1 << 16;
/** Shift of the base queue number. */
export const QM_SQC_VFT_START_SQN_SHIFT = 28;
/** Bit of the SQC VFT valid flag (44 → bit 12 of the high half). */
export const QM_SQC_VFT_VALID_SHIFT = 44;
/** Shift of (number − 1) (V2+). */
export const QM_SQC_VFT_SQN_SHIFT = 45;
/** Same as QM_SQC_VFT_START_SQN_SHIFT (V2 decode name). */
export const QM_SQC_VFT_BASE_SHIFT_V2 = 28;
/** GENMASK(15, 0). */
export const QM_SQC_VFT_BASE_MASK_V2 = 0xffff;
/** Same as QM_SQC_VFT_SQN_SHIFT (V2 decode name). */
export const QM_SQC_VFT_NUM_SHIFT_V2 = 45;
/** GENMASK(9, 0). */
export const QM_SQC_VFT_NUM_MASK_V2 = 0x3ff;
/** CQC VFT valid bit (bit 28, low half). */
export const QM_CQC_VFT_VALID_LO = 1 << 28;

/** A decoded SQC VFT. */
export interface QmVft {
  /** First queue number of the function (absolute). */
  base: number;
  /** Number of queues. */
  number: number;
}

/**
 * V2/V3 SQC VFT data: `base << 28 | 1 << 44 | (number − 1) << 45`; number 0 ⇒ 0 (clear).
 *
 * Kernel counterpart: the SQC_VFT case of `qm_vft_data_cfg()`.
 */
export function qmSqcVftV2Encode(base: number, number: number): U32Pair {
  if (number <= 0) return { lo: 0, hi: 0 };
  const b = base & QM_SQC_VFT_BASE_MASK_V2;
  const n = (number - 1) & QM_SQC_VFT_NUM_MASK_V2;
  return {
    lo: ((b & 0xf) << 28) >>> 0,
    hi: ((b >>> 4) | (1 << (QM_SQC_VFT_VALID_SHIFT - 32)) | (n << (QM_SQC_VFT_SQN_SHIFT - 32))) >>> 0,
  };
}

/**
 * Decode a V2 SQC VFT: `base = (vft >> 28) & 0xffff`, `number = ((vft >> 45) & 0x3ff) + 1`.
 *
 * Kernel counterpart: `qm_get_vft_v2()`.
 */
export function qmSqcVftV2Decode(lo: number, hi: number): QmVft {
  return { base: qmSqcVftV2Base(lo, hi), number: qmSqcVftV2Number(hi) };
}

/** The base field of a V2 SQC VFT given as halves (allocation-free half of {@link qmSqcVftV2Decode}). */
export function qmSqcVftV2Base(lo: number, hi: number): number {
  return ((lo >>> 28) | ((hi & 0xfff) << 4)) & QM_SQC_VFT_BASE_MASK_V2;
}

/** The number field of a V2 SQC VFT (high half; allocation-free half of {@link qmSqcVftV2Decode}). */
export function qmSqcVftV2Number(hi: number): number {
  return ((hi >>> (QM_SQC_VFT_NUM_SHIFT_V2 - 32)) & QM_SQC_VFT_NUM_MASK_V2) + 1;
}

/** Valid bit (44) of an SQC VFT given as halves. */
export function qmSqcVftValid(hi: number): boolean {
  return ((hi >>> (QM_SQC_VFT_VALID_SHIFT - 32)) & 1) === 1;
}

/** V2/V3 CQC VFT data: `1 << 28` (valid) when number > 0, else 0. */
export function qmCqcVftV2Encode(number: number): U32Pair {
  return number > 0 ? { lo: QM_CQC_VFT_VALID_LO, hi: 0 } : { lo: 0, hi: 0 };
}

/** V1 SQC VFT data: `7<<8 | 5<<12 | 1<<16 | 1<<44 | base<<28` (number not encoded). */
export function qmSqcVftV1Encode(base: number, number: number): U32Pair {
  if (number <= 0) return { lo: 0, hi: 0 };
  return {
    lo:
      (QM_SQC_VFT_BUF_SIZE_LO |
        QM_SQC_VFT_SQC_SIZE_LO |
        QM_SQC_VFT_INDEX_NUMBER_LO |
        ((base & 0xf) << 28)) >>>
      0,
    hi: (((base >>> 4) & 0xfff) | (1 << (QM_SQC_VFT_VALID_SHIFT - 32))) >>> 0,
  };
}

/** V1 CQC VFT data: `7<<8 | 5<<12 | 1<<16 | 1<<28`. */
export function qmCqcVftV1Encode(number: number): U32Pair {
  if (number <= 0) return { lo: 0, hi: 0 };
  return {
    lo:
      (QM_SQC_VFT_BUF_SIZE_LO | QM_SQC_VFT_SQC_SIZE_LO | QM_SQC_VFT_INDEX_NUMBER_LO | QM_CQC_VFT_VALID_LO) >>>
      0,
    hi: 0,
  };
}
