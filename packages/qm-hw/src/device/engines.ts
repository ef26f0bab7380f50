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
import { bytesToHex, hexToBytes } from './bytes-hex.js';
import type { QmEngineBackend } from './engine-backend.js';
import { platformEngineBackend } from './platform-engine-backend.js';

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

/** The zero-length buffer the engine model hands out for absent inputs (exported as `EMPTY_BYTES`). */
const EMPTY = new Uint8Array(0);

/**
 * Run one job on the accelerator of `kind`: ZIP raw deflate/inflate, SEC AES-128-CBC and
 * SHA-256/HMAC-SHA-256 (on Node's `node:zlib`/`node:crypto`; in the browser build on pure-JS libraries
 * with byte-identical results), HPRE modular exponentiation (bigint). Bad input never throws: it becomes
 * a QM_SQE_STATUS_* value for the CQE.
 *
 * Kernel counterpart: the engine behind the QM (hisi_zip / hisi_sec2 / hisi_hpre hardware).
 */
export function runEngineJob(kind: QmKind, job: QmJobInput): QmJobResult {
  return runEngineJobOn(platformEngineBackend, kind, job);
}

/** {@link runEngineJob} on the given primitives (the tests compare Node's with the browser build's). */
export function runEngineJobOn(backend: QmEngineBackend, kind: QmKind, job: QmJobInput): QmJobResult {
  switch (kind) {
    case 'zip':
      return runZip(backend, job);
    case 'sec':
      return runSec(backend, job);
    case 'hpre':
      return runHpre(job);
  }
}

function fitOutput(out: Uint8Array, dstLen: number): QmJobResult {
  return out.length > dstLen
    ? { status: QM_SQE_STATUS_DST_TOO_SMALL, out: undefined }
    : { status: QM_SQE_STATUS_OK, out };
}

function runZip(backend: QmEngineBackend, job: QmJobInput): QmJobResult {
  try {
    if (job.opcode === QM_SQE_OP_ZIP_DEFLATE) return fitOutput(backend.deflateRaw(job.src), job.dstLen);
    if (job.opcode === QM_SQE_OP_ZIP_INFLATE) {
      try {
        return fitOutput(backend.inflateRaw(job.src, Math.max(1, job.dstLen)), job.dstLen);
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

function runSec(backend: QmEngineBackend, job: QmJobInput): QmJobResult {
  const { opcode } = job;
  try {
    switch (opcode) {
      case QM_SQE_OP_SEC_AES_CBC_ENC:
      case QM_SQE_OP_SEC_AES_CBC_DEC: {
        if (job.key.length !== 16 || job.iv.length !== 16)
          return { status: QM_SQE_STATUS_BAD_INPUT, out: undefined };
        const encrypt = opcode === QM_SQE_OP_SEC_AES_CBC_ENC;
        return fitOutput(backend.aes128Cbc(encrypt, job.key, job.iv, job.src), job.dstLen);
      }
      case QM_SQE_OP_SEC_SHA256:
        return fitOutput(backend.sha256(job.src), job.dstLen);
      case QM_SQE_OP_SEC_HMAC_SHA256:
        return fitOutput(backend.hmacSha256(job.key, job.src), job.dstLen);
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
  return BigInt(`0x${bytesToHex(bytes)}`);
}

function fromBigInt(v: bigint, len: number): Uint8Array {
  return hexToBytes(v.toString(16).padStart(len * 2, '0'));
}

export { EMPTY as EMPTY_BYTES };
