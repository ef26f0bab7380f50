import type { Prng } from '@vfio-sim/platform';
import { QM_SQE_OP_HPRE_MODEXP, type QmJob } from '@vfio-sim/qm-hw';
import type { WorkloadJobs } from './workload.js';

/** Modulus sizes drawn from: RSA-512 and RSA-1024 (bigint verification stays fast at these). */
const HPRE_MODULUS_BYTES: readonly number[] = [64, 128];
/** The usual RSA public exponent, big-endian. */
const RSA_F4 = Uint8Array.of(0x01, 0x00, 0x01);

/**
 * HPRE jobs: modular exponentiation (QM_SQE_OP_HPRE_MODEXP: input = base, key = exponent, iv =
 * modulus, all big-endian; output = base^exponent mod modulus, padded to the modulus's length). The
 * modulus is random, odd, with its top bit set, of 64 or 128 bytes; the exponent is 65537 (a public-key
 * operation) or as long as the modulus (a private-key one); the base is as long as the modulus (so the
 * engine must reduce it). Each output is checked against square-and-multiply on bigints.
 *
 * Kernel counterpart: hisi_hpre's akcipher "rsa" requests (raw RSA, no padding).
 */
export function hpreJobs(): WorkloadJobs {
  return {
    engine: 'HPRE modular exponentiation',
    reference: 'bigint square-and-multiply',
    next: (prng: Prng): QmJob => {
      const len = prng.pick(HPRE_MODULUS_BYTES);
      const modulus = prng.fill(new Uint8Array(len));
      modulus[0] = modulus[0]! | 0x80;
      modulus[len - 1] = modulus[len - 1]! | 1;
      const key = prng.chance(0.5) ? RSA_F4.slice() : prng.fill(new Uint8Array(len));
      const input = prng.fill(new Uint8Array(len));
      return { opcode: QM_SQE_OP_HPRE_MODEXP, input, key, iv: modulus };
    },
    expected: (job: QmJob) => {
      const modulus = job.iv!;
      const r = powMod(toBigInt(job.input), toBigInt(job.key!), toBigInt(modulus));
      return fromBigInt(r, modulus.length);
    },
  };
}

/** base^exp mod m, right-to-left binary method. */
function powMod(base: bigint, exp: bigint, m: bigint): bigint {
  let result = 1n % m;
  let b = base % m;
  for (let e = exp; e > 0n; e >>= 1n) {
    if ((e & 1n) === 1n) result = (result * b) % m;
    b = (b * b) % m;
  }
  return result;
}

function toBigInt(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const byte of bytes) v = (v << 8n) | BigInt(byte);
  return v;
}

function fromBigInt(v: bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  let x = v;
  for (let i = len - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}
