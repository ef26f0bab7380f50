import { KernelError } from '../errno/kernel-error.js';

/**
 * A seeded pseudo-random generator (xoshiro128**, seeded through splitmix32): same seed, same sequence,
 * on every machine. Scenarios, fault schedules and fuzzers draw from it; nothing in the model uses
 * `Math.random()`.
 */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** @param seed any 32-bit integer (other numbers are reduced modulo 2^32). */
  constructor(readonly seed: number) {
    if (!Number.isInteger(seed)) throw new KernelError('EINVAL', `PRNG seed ${seed} is not an integer`);
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
  }

  /** The next 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.nextU32() / 0x1_0000_0000;
  }

  /** An integer in [min, max] (inclusive). */
  int(min: number, max: number): number {
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max < min) {
      throw new KernelError('EINVAL', `PRNG range [${min}, ${max}] is empty or not integral`);
    }
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new KernelError('EINVAL', 'PRNG pick from an empty list');
    return items[this.int(0, items.length - 1)]!;
  }

  /** Fill `dst` with random bytes and return it. */
  fill(dst: Uint8Array): Uint8Array {
    for (let i = 0; i < dst.length; i += 4) {
      let x = this.nextU32();
      for (let j = i; j < Math.min(i + 4, dst.length); j++) {
        dst[j] = x & 0xff;
        x >>>= 8;
      }
    }
    return dst;
  }

  /** An independent generator derived from this one (for a sub-scenario), advancing this one once. */
  fork(): Prng {
    return new Prng(this.nextU32());
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
