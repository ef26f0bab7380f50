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

  it('is sparse: a 1 TiB bitmap holds a chunk per 2 MiB with a page set, whatever the guest size', () => {
    const b = new PageBitmap(2 ** 28); // 1 TiB of 4 KiB pages
    expect(b.byteLength).toBe(0);
    b.set(5);
    b.set(511); // same chunk
    b.set(2 ** 28 - 1); // the last page
    b.setRange(1 << 20, (1 << 20) + 1023); // 4 MiB: two chunks
    expect(b.chunkCount).toBe(4);
    expect(b.byteLength).toBe(4 * 64);
    expect(b.count()).toBe(3 + 1024);
    b.clear(); // zeroed, chunks kept
    expect([b.count(), b.chunkCount]).toEqual([0, 4]);
    b.reset(); // chunks given back
    expect([b.count(), b.chunkCount, b.byteLength]).toEqual([0, 0, 0]);
  });

  it('matches a Set of pages in runs, OR and shared counts, set in any order (property)', () => {
    const pages = fc.array(fc.integer({ min: 0, max: 4999 }), { maxLength: 300 });
    fc.assert(
      fc.property(pages, pages, fc.boolean(), (xs, ys, dense) => {
        const spread = (p: number) => (dense ? p : (p * 7919) % 5000);
        const a = new PageBitmap(5000);
        const b = new PageBitmap(5000);
        for (const p of xs) a.set(spread(p));
        for (const p of ys) b.set(spread(p));
        const sa = new Set(xs.map(spread));
        const sb = new Set(ys.map(spread));
        const runs: number[] = [];
        let lastEnd = -2;
        a.forEachRun((first, count) => {
          expect(count).toBeGreaterThan(0);
          expect(first).toBeGreaterThan(lastEnd); // ascending, and runs never touch
          lastEnd = first + count;
          for (let p = first; p < first + count; p++) runs.push(p);
        });
        expect(runs).toEqual([...sa].sort((x, y) => x - y));
        expect(a.countShared(b)).toBe([...sa].filter((p) => sb.has(p)).length);
        const or = new PageBitmap(5000);
        or.or(a);
        or.or(b);
        expect(or.toArray()).toEqual([...new Set([...sa, ...sb])].sort((x, y) => x - y));
      }),
      { seed: 5, numRuns: 100 },
    );
  });

  it('a run goes on across words and chunks', () => {
    const b = new PageBitmap(4096);
    b.setRange(0, 31);
    b.setRange(32, 600); // word and chunk boundaries
    b.set(1023);
    b.set(1024); // the next chunk, set before the one below
    b.set(700);
    const runs: [number, number][] = [];
    b.forEachRun((first, count) => runs.push([first, count]));
    expect(runs).toEqual([
      [0, 601],
      [700, 1],
      [1023, 2],
    ]);
  });

  it('ORs a byte bitmap at a page offset, creating chunks only where a bit is set', () => {
    const b = new PageBitmap(1 << 20);
    const bytes = new Uint8Array(64 * 4); // 2048 pages
    bytes[0] = 0b10;
    bytes[255] = 0x80;
    b.orBytes(bytes, 1 << 18);
    expect(b.toArray()).toEqual([(1 << 18) + 1, (1 << 18) + 2047]);
    expect(b.chunkCount).toBe(2);
    expect(errnoOf(() => b.orBytes(bytes, 16))).toBe('EINVAL'); // not on a 32-page boundary
    expect(b.count()).toBe(2);
    // with a mask: only the bits the mask has too, and no chunk where the mask has none
    const mask = new PageBitmap(1 << 20);
    mask.set(3);
    mask.set(40);
    const c = new PageBitmap(1 << 20);
    c.orBytes(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), 0, mask);
    c.orBytes(Uint8Array.of(0xff, 0xff, 0xff, 0xff), 4096, mask);
    expect([c.toArray(), c.chunkCount]).toEqual([[3, 40], 1]);
  });

  it('refuses a page outside the bitmap (EINVAL, unchanged)', () => {
    const b = new PageBitmap(1024);
    b.set(3);
    expect(errnoOf(() => b.set(4096))).toBe('EINVAL');
    expect(errnoOf(() => b.set(-1))).toBe('EINVAL');
    expect([b.toArray(), b.chunkCount]).toEqual([[3], 1]);
  });

  it('refuses an empty size and ORing a bitmap of another size (EINVAL, unchanged)', () => {
    expect(errnoOf(() => new PageBitmap(0))).toBe('EINVAL');
    const a = new PageBitmap(64);
    a.set(3);
    expect(errnoOf(() => a.or(new PageBitmap(65)))).toBe('EINVAL');
    expect(a.count()).toBe(1);
    expect(errnoOf(() => a.countShared(new PageBitmap(65)))).toBe('EINVAL');
    expect(errnoOf(() => a.orBytes(new Uint8Array(8), 0, new PageBitmap(65)))).toBe('EINVAL');
    expect(a.count()).toBe(1);
  });
});
