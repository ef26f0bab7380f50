import { errnoOf } from '@vfio-sim/platform';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PageBitmap } from './page-bitmap.js';

describe('PageBitmap', () => {
  it('sets, tests, counts and lists pages across word boundaries', () => {
    const b = new PageBitmap(100);
    b.set(0);
    b.setRange(30, 33);
    b.set(99);
    expect([b.test(0), b.test(1), b.test(31), b.test(32), b.test(99)]).toEqual([
      true,
      false,
      true,
      true,
      true,
    ]);
    expect(b.count()).toBe(6);
    const seen = b.toArray();
    expect(seen).toEqual([0, 30, 31, 32, 33, 99]);
    b.clear();
    expect(b.count()).toBe(0);
  });

  it('ORs the uAPI byte layout (bit b = byte b/8, LSB first) and ignores bits past the end', () => {
    const b = new PageBitmap(20);
    b.orBytes(Uint8Array.of(0b1000_0001, 0, 0xff, 0xff));
    const seen = b.toArray();
    expect(seen).toEqual([0, 7, 16, 17, 18, 19]);
  });

  it('counts the pages set in both bitmaps across words', () => {
    const a = new PageBitmap(100);
    const b = new PageBitmap(100);
    a.setRange(0, 40);
    a.set(99);
    b.setRange(31, 70);
    b.set(99);
    expect(a.countShared(b)).toBe(11);
    expect(b.countShared(a)).toBe(11);
    expect(a.countShared(new PageBitmap(100))).toBe(0);
  });

  it('matches a Set of pages (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 199 })), (pages) => {
        const b = new PageBitmap(200);
        for (const p of pages) b.set(p);
        const expected = [...new Set(pages)].sort((x, y) => x - y);
        const seen = b.toArray();
        expect(seen).toEqual(expected);
        expect(b.count()).toBe(expected.length);
      }),
      { seed: 3, numRuns: 50 },
    );
  });

  it('refuses an empty size and ORing a bitmap of another size (EINVAL, unchanged)', () => {
    expect(errnoOf(() => new PageBitmap(0))).toBe('EINVAL');
    const a = new PageBitmap(64);
    a.set(3);
    expect(errnoOf(() => a.or(new PageBitmap(65)))).toBe('EINVAL');
    expect(a.count()).toBe(1);
    expect(errnoOf(() => a.countShared(new PageBitmap(65)))).toBe('EINVAL');
    expect(a.count()).toBe(1);
  });
});
