import { KernelError, type Prng } from '@vfio-sim/platform';
import { platformEngineBackend, QM_SQE_OP_ZIP_DEFLATE, type QmJob } from '@vfio-sim/qm-hw';
import type { WorkloadJobs } from './workload.js';

/** Options of {@link zipDeflateJobs}. */
export interface ZipJobsOptions {
  /** Smallest job input in bytes (default 2 KiB). */
  readonly minBytes?: number;
  /** Largest job input in bytes (default 16 KiB; the guest driver's buffers hold 64 KiB). */
  readonly maxBytes?: number;
}

const WORDS = [
  'vfio',
  'migration',
  'queue',
  'doorbell',
  'mailbox',
  'guest',
  'page',
  'dirty',
  'device',
  'state',
  'stop',
  'copy',
  'resume',
  'ring',
  'context',
  'deflate',
  'hisilicon',
  'accelerator',
  'the',
  'a',
].map((w) => new TextEncoder().encode(`${w} `));

/**
 * ZIP jobs: raw deflate (QM_SQE_OP_ZIP_DEFLATE) of seeded pseudo-text (words of a small vocabulary,
 * so the engine has something to compress; sizes drawn from the seed), each output checked against
 * node:zlib's `deflateRawSync` on the same input (pako's in a browser build: qm-hw's
 * `platformEngineBackend`).
 *
 * Kernel counterpart: hisi_zip's acomp "deflate" requests.
 * @throws KernelError EINVAL for an empty or negative size range.
 */
export function zipDeflateJobs(options: ZipJobsOptions = {}): WorkloadJobs {
  const minBytes = options.minBytes ?? 2048;
  const maxBytes = options.maxBytes ?? 16384;
  if (!(minBytes >= 1 && maxBytes >= minBytes && Number.isSafeInteger(maxBytes))) {
    throw new KernelError('EINVAL', `job sizes [${minBytes}, ${maxBytes}] are not a range`);
  }
  return {
    engine: 'ZIP deflate',
    reference: 'node:zlib deflateRawSync',
    next: (prng: Prng): QmJob => ({
      opcode: QM_SQE_OP_ZIP_DEFLATE,
      input: pseudoText(prng, minBytes, maxBytes),
    }),
    expected: (job: QmJob) => platformEngineBackend.deflateRaw(job.input),
  };
}

function pseudoText(prng: Prng, minBytes: number, maxBytes: number): Uint8Array {
  const out = new Uint8Array(prng.int(minBytes, maxBytes));
  let at = 0;
  while (at < out.length) {
    const word = prng.pick(WORDS);
    const n = Math.min(word.length, out.length - at);
    out.set(word.subarray(0, n), at);
    at += n;
  }
  return out;
}
