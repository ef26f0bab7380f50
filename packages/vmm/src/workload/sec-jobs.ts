import { KernelError, type Prng } from '@vfio-sim/platform';
import {
  platformEngineBackend,
  QM_SQE_OP_SEC_AES_CBC_ENC,
  QM_SQE_OP_SEC_HMAC_SHA256,
  QM_SQE_OP_SEC_SHA256,
  type QmJob,
} from '@vfio-sim/qm-hw';
import type { WorkloadJobs } from './workload.js';

/** Options of {@link secJobs}. */
export interface SecJobsOptions {
  /** Smallest job input in bytes (default 64). */
  readonly minBytes?: number;
  /** Largest job input in bytes (default 8 KiB; AES-CBC pads by up to 16 bytes into a 64 KiB buffer). */
  readonly maxBytes?: number;
}

/** AES-128: a 16-byte key and a 16-byte IV. */
const AES_128_KEY_BYTES = 16;
const AES_BLOCK_BYTES = 16;

/**
 * SEC jobs: a seeded mix (one in three each) of AES-128-CBC encryption with PKCS#7 padding
 * (QM_SQE_OP_SEC_AES_CBC_ENC: random key and IV), SHA-256 (QM_SQE_OP_SEC_SHA256) and HMAC-SHA-256
 * (QM_SQE_OP_SEC_HMAC_SHA256: a random key of 16..64 bytes) over random input; each output is checked
 * against the platform's crypto on the same input, key and IV — node:crypto (`createCipheriv
 * ('aes-128-cbc')`, `createHash`, `createHmac`) in Node, @noble/ciphers and @noble/hashes in a browser
 * build (qm-hw's `platformEngineBackend`, byte-identical by qm-hw's property test).
 *
 * Kernel counterpart: hisi_sec2's skcipher "cbc(aes)" and ahash "sha256" / "hmac(sha256)" requests.
 * @throws KernelError EINVAL for an empty or negative size range; `expected` throws EINVAL for an opcode
 * it does not draw.
 */
export function secJobs(options: SecJobsOptions = {}): WorkloadJobs {
  const minBytes = options.minBytes ?? 64;
  const maxBytes = options.maxBytes ?? 8192;
  if (!(minBytes >= 1 && maxBytes >= minBytes && Number.isSafeInteger(maxBytes))) {
    throw new KernelError('EINVAL', `job sizes [${minBytes}, ${maxBytes}] are not a range`);
  }
  return {
    engine: 'SEC AES-128-CBC encrypt / SHA-256 / HMAC-SHA-256',
    reference: 'node:crypto createCipheriv / createHash / createHmac',
    next: (prng: Prng): QmJob => {
      const kind = prng.int(0, 2);
      const input = prng.fill(new Uint8Array(prng.int(minBytes, maxBytes)));
      if (kind === 0) {
        const key = prng.fill(new Uint8Array(AES_128_KEY_BYTES));
        const iv = prng.fill(new Uint8Array(AES_BLOCK_BYTES));
        return { opcode: QM_SQE_OP_SEC_AES_CBC_ENC, input, key, iv };
      }
      if (kind === 1) return { opcode: QM_SQE_OP_SEC_SHA256, input };
      const key = prng.fill(new Uint8Array(prng.int(16, 64)));
      return { opcode: QM_SQE_OP_SEC_HMAC_SHA256, input, key };
    },
    expected: (job: QmJob) => {
      switch (job.opcode) {
        case QM_SQE_OP_SEC_AES_CBC_ENC:
          return platformEngineBackend.aes128Cbc(true, job.key!, job.iv!, job.input);
        case QM_SQE_OP_SEC_SHA256:
          return platformEngineBackend.sha256(job.input);
        case QM_SQE_OP_SEC_HMAC_SHA256:
          return platformEngineBackend.hmacSha256(job.key!, job.input);
        default:
          throw new KernelError(
            'EINVAL',
            `not a SEC job of this workload: opcode 0x${job.opcode.toString(16)}`,
          );
      }
    },
  };
}
