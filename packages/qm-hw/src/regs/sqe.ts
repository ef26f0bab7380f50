import { defineStruct } from '@vfio-sim/platform';

/**
 * The model's SQE (submission queue entry): ONE simplified, fixed-size format for all three engines.
 *
 * Deliberate difference from upstream: real SEC/HPRE/ZIP SQEs differ per engine (hisi_sec_sqe, hpre_sqe,
 * hisi_zip_sqe) and use scatter-gather lists; this model uses one 128-byte layout with flat buffers.
 * The hardware writes `status` and `out_len` back into the SQE after the job.
 */
export const qm_sqe = defineStruct(
  'qm_sqe',
  [
    { name: 'opcode', type: 'u32', offset: 0 },
    { name: 'flags', type: 'u32', offset: 4 },
    { name: 'src_addr', type: 'u64', offset: 8 },
    { name: 'dst_addr', type: 'u64', offset: 16 },
    { name: 'key_addr', type: 'u64', offset: 24 },
    { name: 'iv_addr', type: 'u64', offset: 32 },
    { name: 'src_len', type: 'u32', offset: 40 },
    { name: 'dst_len', type: 'u32', offset: 44 },
    { name: 'key_len', type: 'u32', offset: 48 },
    { name: 'iv_len', type: 'u32', offset: 52 },
    { name: 'out_len', type: 'u32', offset: 56 },
    { name: 'status', type: 'u32', offset: 60 },
    { name: 'tag', type: 'u32', offset: 64 },
    { name: 'rsvd', type: 'u32', count: 15, offset: 68 },
  ] as const,
  { size: 128 },
);

/** SQE size in bytes (log2 = 7 goes into SQC dw3). */
export const QM_SQE_SIZE = 128;

/** ZIP: raw deflate src → dst. */
export const QM_SQE_OP_ZIP_DEFLATE = 0x01;
/** ZIP: raw inflate src → dst. */
export const QM_SQE_OP_ZIP_INFLATE = 0x02;
/** SEC: AES-128-CBC encrypt (key 16 bytes at key_addr, IV 16 bytes at iv_addr, PKCS#7 padding). */
export const QM_SQE_OP_SEC_AES_CBC_ENC = 0x10;
/** SEC: AES-128-CBC decrypt. */
export const QM_SQE_OP_SEC_AES_CBC_DEC = 0x11;
/** SEC: SHA-256 digest of src (32 bytes to dst). */
export const QM_SQE_OP_SEC_SHA256 = 0x12;
/** SEC: HMAC-SHA-256 of src with key (key_len bytes). */
export const QM_SQE_OP_SEC_HMAC_SHA256 = 0x13;
/** HPRE: dst = src^key mod iv (big-endian integers; result padded to iv_len bytes). */
export const QM_SQE_OP_HPRE_MODEXP = 0x20;

/** Job done. */
export const QM_SQE_STATUS_OK = 0;
/** Opcode not supported by this engine. */
export const QM_SQE_STATUS_BAD_OPCODE = 1;
/** The engine rejected the input (corrupt stream, bad padding, bad key length, zero modulus…). */
export const QM_SQE_STATUS_BAD_INPUT = 2;
/** The output does not fit dst_len. */
export const QM_SQE_STATUS_DST_TOO_SMALL = 3;
/** A DMA access of the job failed (IOMMU fault or injected). */
export const QM_SQE_STATUS_DMA_FAULT = 4;
