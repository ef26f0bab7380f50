import { fc, test } from '@fast-check/vitest';
import { errnoOf, UserMemory } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { IovaBitmap } from './iova-bitmap.js';

const PS = 4096;

describe('IovaBitmap', () => {
  it('sets one bit per page, little-endian u64 words, OR-ing into what is there', () => {
    const mm = new UserMemory();
    const data = mm.alloc(16, 8);
    mm.writeU64(data, 1n << 63n); // the caller's own bit survives
    const b = new IovaBitmap(mm, 0x10_0000, 128 * PS, PS, data);
    expect(b.bytes).toBe(16);
    b.set(0x10_0000 + 3 * PS, 1); // one byte of page 3
    b.set(0x10_0000 + 64 * PS + 100, 2 * PS); // straddles pages 64..66
    expect(mm.readU64(data)).toBe((1n << 63n) | (1n << 3n));
    expect(mm.readU64(data + 8)).toBe(0b111n);
    expect(b.test(0x10_0000 + 65 * PS)).toBe(true);
    expect(b.test(0x10_0000 + 67 * PS)).toBe(false);
  });

  it('clips to its range and fills whole bytes for large spans', () => {
    const mm = new UserMemory();
    const data = mm.alloc(8, 8);
    const b = new IovaBitmap(mm, 0, 64 * PS, PS, data);
    b.set(-10 * PS, 12 * PS); // covers pages 0..1 only
    b.set(60 * PS, 100 * PS); // pages 60..63
    b.set(8 * PS, 16 * PS); // bytes 1 and 2 whole
    expect(mm.readU64(data)).toBe(0xf000_0000_00ff_ff03n);
  });

  it('rounds the size up to whole u64 words', () => {
    const mm = new UserMemory();
    expect(new IovaBitmap(mm, 0, PS, PS, mm.alloc(8)).bytes).toBe(8);
    expect(new IovaBitmap(mm, 0, 65 * PS, PS, mm.alloc(16)).bytes).toBe(16);
    expect(new IovaBitmap(mm, 0, 1 << 30, 2 << 20, mm.alloc(64)).bytes).toBe(64); // 512 bits
  });

  it('rejects bad arguments with the kernel errno', () => {
    const mm = new UserMemory(PS);
    const data = mm.alloc(8);
    expect(errnoOf(() => new IovaBitmap(mm, 0, PS, 3000, data))).toBe('EINVAL');
    expect(errnoOf(() => new IovaBitmap(mm, 0, 0, PS, data))).toBe('EINVAL');
    expect(errnoOf(() => new IovaBitmap(mm, 2 ** 53 - PS, 2 * PS, PS, data))).toBe('EOVERFLOW');
    expect(errnoOf(() => new IovaBitmap(mm, 0, 64 * PS, PS, 0))).toBe('EFAULT');
    expect(errnoOf(() => new IovaBitmap(mm, 0, PS * 64 * 1024, PS, data))).toBe('EFAULT');
  });

  test.prop([
    fc.array(fc.tuple(fc.integer({ min: -8, max: 300 }), fc.integer({ min: 0, max: 40 })), { maxLength: 30 }),
  ])('agrees with a set of pages', (spans) => {
    const mm = new UserMemory();
    const data = mm.alloc(40, 8);
    const b = new IovaBitmap(mm, PS * 8, 300 * PS, PS, data);
    const model = new Set<number>();
    for (const [page, pages] of spans) {
      b.set(PS * 8 + page * PS, pages * PS);
      for (let p = page; p < page + pages; p++) if (p >= 0 && p < 300) model.add(p);
    }
    for (let p = 0; p < 320; p++) expect(b.test(PS * 8 + p * PS)).toBe(model.has(p));
  });

  test.prop([
    fc.array(fc.tuple(fc.integer({ min: -64, max: 70_000 }), fc.integer({ min: 0, max: 50_000 })), {
      maxLength: 40,
    }),
    fc.integer({ min: 0, max: 7 }),
  ])(
    'record + flush (staged window) writes exactly what set writes, OR-ing into old bits',
    (spans, misalign) => {
      const mm = new UserMemory(32 << 20);
      const nbits = (8 << 20) << 1; // 16 Mi bits = 2 MiB of bitmap: more than one window
      const a = mm.alloc((nbits >> 3) + 16, 8) + misalign;
      const b = mm.alloc((nbits >> 3) + 16, 8) + misalign;
      mm.writeU32(a + 100, 0x8000_0001);
      mm.writeU32(b + 100, 0x8000_0001);
      const viaSet = new IovaBitmap(mm, 0, nbits * PS, PS, a);
      const viaRecord = new IovaBitmap(mm, 0, nbits * PS, PS, b);
      for (const [page, pages] of spans) {
        const at = page * 251 * PS; // spread over the whole bitmap
        viaSet.set(at, pages * PS);
        viaRecord.record(at, pages * PS);
      }
      viaRecord.flush();
      expect(
        Buffer.from(mm.copyFromUser(b, nbits >> 3)).equals(Buffer.from(mm.copyFromUser(a, nbits >> 3))),
      ).toBe(true);
    },
  );

  test.prop([
    fc.array(
      fc.tuple(
        fc.integer({ min: -2, max: 5000 }),
        fc.integer({ min: -2147483648, max: 2147483647 }),
        fc.boolean(),
      ),
      { maxLength: 40 },
    ),
    fc.constantFrom(0, PS, 31 * PS, 32 * PS),
    fc.constantFrom(PS, 2 * PS),
  ])(
    'recordPages32 and stageWords + staged32 write exactly what set writes for each leaf of the mask',
    (groups, bitmapIova, pageSize) => {
      const mm = new UserMemory(4 << 20);
      const nbits = 5000 * 32 + 7; // last word partly outside: the per-leaf fallback
      const a = mm.alloc(Math.ceil(nbits / 8) + 16, 8);
      const b = mm.alloc(Math.ceil(nbits / 8) + 16, 8);
      const viaSet = new IovaBitmap(mm, bitmapIova, nbits * pageSize, pageSize, a);
      const viaMask = new IovaBitmap(mm, bitmapIova, nbits * pageSize, pageSize, b);
      for (const [group, mask, direct] of groups) {
        const iova = group * 32 * PS;
        for (let j = 0; j < 32; j++) if ((mask >>> j) & 1) viaSet.set(iova + j * PS, PS);
        const w = direct ? viaMask.stageWords(iova, PS, 1) : -1;
        if (w >= 0) viaMask.staged32[w]! |= mask;
        else viaMask.recordPages32(iova, PS, mask);
      }
      viaMask.flush();
      const bytes = viaSet.bytes;
      expect(Buffer.from(mm.copyFromUser(b, bytes)).equals(Buffer.from(mm.copyFromUser(a, bytes)))).toBe(
        true,
      );
    },
  );

  it('stageWords only applies to whole, aligned, in-range words of leaf-sized pages', () => {
    const mm = new UserMemory();
    const b = new IovaBitmap(mm, 0, 100 * PS, PS, mm.alloc(16, 8));
    expect(b.stageWords(32 * PS, PS, 2)).toBe(1); // words 1..2: bits 32..95
    expect(b.stageWords(64 * PS, PS, 2)).toBe(-1); // bits 96..127 are past the 100-page range
    expect(b.stageWords(PS, PS, 1)).toBe(-1); // not on a word boundary
    expect(b.stageWords(0, 2 * PS, 1)).toBe(-1); // leaf size is not the page size
    b.flush();
  });
});
