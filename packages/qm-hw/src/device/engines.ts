import { createCipheriv, createDecipheriv, createHash, createHmac } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import {
  QM_SQE_OP_HPRE_MODEXP,
  QM_SQE_OP_SEC_AES_CBC_DEC,
  QM_SQE_OP_SEC_AES_CBC_ENC,
  QM_SQE_OP_SEC_HMAC_SHA256,
  QM_SQE_OP_SEC_SHA256,
  QM_SQE_OP_ZIP_DEFLATE,
  QM_SQE_OP_ZIP_INFLATE,
  QM_SQE_STATUS_BAD_INPUT,
  QM_SQE_STATUS_BAD_OPCODE,
  QM_SQE_STATUS_DST_TOO_SMALL,
  QM_SQE_STATUS_OK,
} from '../regs/sqe.js';
import type { QmKind } from '../regs/versions.js';

/** The inputs of one job, already fetched by DMA. */
export interface QmJobInput {
  readonly opcode: number;
  readonly src: Uint8Array;
  readonly key: Uint8Array;
  readonly iv: Uint8Array;
  /** Capacity of the destination buffer. */
  readonly dstLen: number;
}

/** What the engine produced: a status and, on success, the bytes for the destination. */
export interface QmJobResult {
  readonly status: number;
  readonly out: Uint8Array | undefined;
}

const EMPTY = new Uint8Array(0);

/**
 * Run one job on the accelerator of `kind`: ZIP raw deflate/inflate (node:zlib), SEC AES-128-CBC and
 * SHA-256/HMAC-SHA-256 (node:crypto), HPRE modular exponentiation (bigint). Bad input never throws: it
 * becomes a QM_SQE_STATUS_* value for the CQE.
 *
 * Kernel counterpart: the engine behind the QM (hisi_zip / hisi_sec2 / hisi_hpre hardware).
 */
export function runEngineJob(kind: QmKind, job: QmJobInput): QmJobResult {
  switch (kind) {
    case 'zip':
      return runZip(job);
    case 'sec':
      return runSec(job);
    case 'hpre':
      return runHpre(job);
  }
}

function fitOutput(out: Uint8Array, dstLen: number): QmJobResult {
  return out.length > dstLen
    ? { status: QM_SQE_STATUS_DST_TOO_SMALL, out: undefined }
    : { status: QM_SQE_STATUS_OK, out };
}

function runZip(job: QmJobInput): QmJobResult {
  try {
    if (job.opcode === QM_SQE_OP_ZIP_DEFLATE) return fitOutput(deflateRawSync(job.src), job.dstLen);
    if (job.opcode === QM_SQE_OP_ZIP_INFLATE) {
      try {
        return fitOutput(inflateRawSync(job.src, { maxOutputLength: Math.max(1, job.dstLen) }), job.dstLen);
      } catch (e) {
        if (e instanceof RangeError) return { status: QM_SQE_STATUS_DST_TOO_SMALL, out: undefined };
        throw e;
      }
    }
  } catch {
    return { status: QM_SQE_STATUS_BAD_INPUT, out: undefined };
  }
  return { status: QM_SQE_STATUS_BAD_OPCODE, out: undefined };
}

function runSec(job: QmJobInput): QmJobResult {
  const { opcode } = job;
  try {
    switch (opcode) {
      case QM_SQE_OP_SEC_AES_CBC_ENC:
      case QM_SQE_OP_SEC_AES_CBC_DEC: {
        if (job.key.length !== 16 || job.iv.length !== 16)
          return { status: QM_SQE_STATUS_BAD_INPUT, out: undefined };
        const c =
          opcode === QM_SQE_OP_SEC_AES_CBC_ENC
            ? createCipheriv('aes-128-cbc', job.key, job.iv)
            : createDecipheriv('aes-128-cbc', job.key, job.iv);
        const a = c.update(job.src);
        const b = c.final();
        return fitOutput(concat(a, b), job.dstLen);
      }
      case QM_SQE_OP_SEC_SHA256:
        return fitOutput(createHash('sha256').update(job.src).digest(), job.dstLen);
      case QM_SQE_OP_SEC_HMAC_SHA256:
        return fitOutput(createHmac('sha256', job.key).update(job.src).digest(), job.dstLen);
      default:
        return { status: QM_SQE_STATUS_BAD_OPCODE, out: undefined };
    }
  } catch {
    return { status: QM_SQE_STATUS_BAD_INPUT, out: undefined };
  }
}

function runHpre(job: QmJobInput): QmJobResult {
  if (job.opcode !== QM_SQE_OP_HPRE_MODEXP) return { status: QM_SQE_STATUS_BAD_OPCODE, out: undefined };
  const modulus = toBigInt(job.iv);
  if (modulus === 0n || job.iv.length === 0) return { status: QM_SQE_STATUS_BAD_INPUT, out: undefined };
  if (job.dstLen < job.iv.length) return { status: QM_SQE_STATUS_DST_TOO_SMALL, out: undefined };
  const r = modPow(toBigInt(job.src), toBigInt(job.key), modulus);
  return { status: QM_SQE_STATUS_OK, out: fromBigInt(r, job.iv.length) };
}

/** base^exp mod m by square-and-multiply. */
export function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  if (m === 1n) return 0n;
  let result = 1n;
  let b = base % m;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % m;
    e >>= 1n;
    b = (b * b) % m;
  }
  return result;
}

function toBigInt(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  return BigInt(`0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex')}`);
}

function fromBigInt(v: bigint, len: number): Uint8Array {
  const hex = v.toString(16).padStart(len * 2, '0');
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

export { EMPTY as EMPTY_BYTES };
