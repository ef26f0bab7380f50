import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { errnoOf } from '../errno/kernel-error.js';
import { RangeAllocator } from './range-allocator.js';

describe('RangeAllocator', () => {
  it('hands out first-fit aligned blocks and coalesces freed neighbours into one range', () => {
    const a = new RangeAllocator(0x1000, 0x1000, 8);
    const x = a.alloc(3, 1);
    const y = a.alloc(16, 16);
    const z = a.alloc(8);
    expect(x).toBe(0x1000);
    expect(a.blockSize(x)).toBe(8); // rounded up to the granule
    expect(y).toBe(0x1010); // 0x1008 is not 16-aligned: the gap before it stays free
    expect(z).toBe(0x1008); // first fit finds that gap
    expect(a.stats()).toMatchObject({ used: 32, blocks: 3, freeRanges: 1 });
    a.free(y);
    a.free(x);
    expect(a.stats().freeRanges).toBe(2);
    a.free(z);
    expect(a.freeRanges()).toEqual([[0x1000, 0x2000]]);
    expect(a.stats()).toEqual({ used: 0, free: 0x1000, blocks: 0, freeRanges: 1, largestFree: 0x1000 });
  });

  it('ENOMEM when nothing fits, EINVAL for bad sizes, alignments and frees — changing nothing', () => {
    const a = new RangeAllocator(0, 64, 8);
    const x = a.alloc(40);
    const before = { stats: a.stats(), free: a.freeRanges() };
    expect(errnoOf(() => a.alloc(32))).toBe('ENOMEM');
    expect(errnoOf(() => a.alloc(8, 3))).toBe('EINVAL');
    expect(errnoOf(() => a.alloc(-1))).toBe('EINVAL');
    expect(errnoOf(() => a.alloc(1.5))).toBe('EINVAL');
    expect(errnoOf(() => a.free(x + 8))).toBe('EINVAL'); // inside a block, not its start
    expect(errnoOf(() => a.free(48))).toBe('EINVAL'); // free space
    expect({ stats: a.stats(), free: a.freeRanges() }).toEqual(before);
    a.free(x);
    expect(errnoOf(() => a.free(x))).toBe('EINVAL'); // double free
    expect(a.stats().used).toBe(0);
    expect(errnoOf(() => new RangeAllocator(0, 100, 8))).toBe('EINVAL');
  });

  it('a zero-byte block is still a distinct block (malloc(0))', () => {
    const a = new RangeAllocator(0, 64, 8);
    expect(a.alloc(0)).not.toBe(a.alloc(0));
    expect(a.stats().blocks).toBe(2);
  });

  // Model-based: against a byte-ownership array. Blocks never overlap and stay inside the arena and
  // aligned; ENOMEM only when no aligned gap of the rounded size exists; freeing everything leaves one
  // free range (fragmentation coalesces).
  type Op = { op: 'alloc'; size: number; alignLog: number } | { op: 'free'; pick: number };
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ op: fc.constant('alloc' as const), size: fc.nat(300), alignLog: fc.nat(6) }),
    fc.record({ op: fc.constant('free' as const), pick: fc.nat() }),
  );
  const SIZE = 2048;
  const G = 8;

  test.prop([fc.array(opArb, { maxLength: 80 })])('agrees with a byte-ownership model', (ops) => {
    const a = new RangeAllocator(SIZE, SIZE, G);
    const owner = new Int32Array(SIZE).fill(-1); // block start owning each byte, -1 = free
    const live: number[] = [];
    const fits = (length: number, step: number) => {
      for (let at = 0; at + length <= SIZE; at += step) {
        if ((SIZE + at) % step === 0 && owner.subarray(at, at + length).every((o) => o === -1)) return true;
      }
      return false;
    };
    for (const o of ops) {
      if (o.op === 'alloc') {
        const align = 1 << o.alignLog;
        const length = Math.max(G, Math.ceil(o.size / G) * G);
        const step = Math.max(align, G);
        const expected = fits(length, step);
        let at: number;
        try {
          at = a.alloc(o.size, align);
        } catch (e) {
          expect(
            errnoOf(() => {
              throw e;
            }),
          ).toBe('ENOMEM');
          expect(expected).toBe(false);
          continue;
        }
        expect(expected).toBe(true);
        expect(at % align).toBe(0);
        expect(at >= SIZE && at + length <= 2 * SIZE).toBe(true);
        expect(owner.subarray(at - SIZE, at - SIZE + length).every((x) => x === -1)).toBe(true);
        owner.fill(at, at - SIZE, at - SIZE + length);
        live.push(at);
      } else if (live.length > 0) {
        const at = live.splice(o.pick % live.length, 1)[0]!;
        expect(a.free(at)).toBe(owner.filter((x) => x === at).length);
        for (let i = 0; i < SIZE; i++) if (owner[i] === at) owner[i] = -1;
      }
      const used = owner.filter((x) => x !== -1).length;
      expect(a.stats().used).toBe(used);
      // The free ranges are exactly the unowned bytes, maximal (no two touch).
      const free = a.freeRanges();
      expect(free.reduce((n, [s, e]) => n + e - s, 0)).toBe(SIZE - used);
      expect(free.every(([s, e]) => owner.subarray(s - SIZE, e - SIZE).every((x) => x === -1))).toBe(true);
      for (let i = 1; i < free.length; i++) expect(free[i]![0]).toBeGreaterThan(free[i - 1]![1]);
    }
    for (const at of live) a.free(at);
    expect(a.freeRanges()).toEqual([[SIZE, 2 * SIZE]]);
    expect(a.stats().used).toBe(0);
  });
});
