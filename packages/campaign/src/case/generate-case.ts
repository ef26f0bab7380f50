import { KernelError } from '@vfio-sim/platform';
import fc from 'fast-check';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { CampaignCase } from './campaign-case.js';
import { caseArbitrary } from './case-arbitrary.js';

/** murmur3's 32-bit finalizer: every input bit reaches every output bit. */
function fmix32(h: number): number {
  let x = h >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85eb_ca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2_ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * The 32-bit seed of case `index` of the campaign `seed`: a hash of both (an index up to 2^53), so
 * neighbouring indexes and seeds give unrelated cases.
 */
export function caseSeed(seed: number, index: number): number {
  const lo = index >>> 0;
  const hi = Math.floor(index / 0x1_0000_0000) >>> 0;
  return fmix32((seed >>> 0) ^ fmix32(lo ^ fmix32((hi + 0x9e37_79b9) >>> 0)));
}

/**
 * Case `index` of the campaign `seed` as fast-check drew it — the value and the context its shrinker
 * needs. Deterministic: the same (seed, index), the same case, on every machine.
 */
export function generateCaseValue(seed: number, index: number): fc.Value<CampaignCase> {
  checkSeedIndex(seed, index);
  return caseArbitrary.generate(new fc.Random(xoroshiro128plus(caseSeed(seed, index))), undefined);
}

/**
 * Case `index` of the campaign `seed`: a full live migration (protocol, accelerator, IOMMU, guest RAM
 * and touched pages, its devices, workload, link, at most one fault, hostile requests before it) or a
 * uAPI-only case — fully determined by the two numbers, so `--replay seed:index` reruns it.
 * @throws KernelError EINVAL for a seed outside [0, 2^32) or an index that is not a non-negative safe integer.
 */
export function generateCase(seed: number, index: number): CampaignCase {
  return generateCaseValue(seed, index).value;
}

/** @throws KernelError EINVAL for a bad seed or index. */
export function checkSeedIndex(seed: number, index: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff)
    throw new KernelError('EINVAL', `campaign seed ${seed} is not an integer in [0, 2^32)`);
  if (!Number.isSafeInteger(index) || index < 0)
    throw new KernelError('EINVAL', `case index ${index} is not a non-negative integer`);
}
