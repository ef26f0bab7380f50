import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { errnoOf } from '../errno/kernel-error.js';
import { defineStruct } from '../struct/struct-layout.js';
import { GuestMemory, PAGE_SIZE } from './guest-memory.js';

const MiB = 1 << 20;

describe('GuestMemory', () => {
  it('reads zeros from untouched pages without allocating', () => {
    const mem = new GuestMemory(64 * MiB);
    expect(mem.readU32(0x12345)).toBe(0);
    expect(mem.readU64(8 * MiB)).toBe(0n);
    expect(mem.readBytes(PAGE_SIZE - 3, 10)).toEqual(new Uint8Array(10));
    expect(mem.touchedBytes()).toBe(0);
  });

  it('stores little-endian u8/u16/u32/u64', () => {
    const mem = new GuestMemory(MiB);
    mem.writeU64(0x100, 0x1122_3344_5566_7788n);
    expect(mem.readU8(0x100)).toBe(0x88);
    expect(mem.readU16(0x100)).toBe(0x7788);
    expect(mem.readU32(0x100)).toBe(0x5566_7788);
    expect(mem.readU32(0x104)).toBe(0x1122_3344);
    expect(mem.readU64(0x100)).toBe(0x1122_3344_5566_7788n);
    mem.writeU32(0x200, 0xdead_beef);
    expect(mem.readBytes(0x200, 4)).toEqual(Uint8Array.of(0xef, 0xbe, 0xad, 0xde));
    expect(mem.touchedBytes()).toBe(PAGE_SIZE);
  });

  it('handles scalars and byte ranges that cross page boundaries', () => {
    const mem = new GuestMemory(MiB);
    mem.writeU32(PAGE_SIZE - 2, 0xa1b2_c3d4);
    expect(mem.readU32(PAGE_SIZE - 2)).toBe(0xa1b2_c3d4);
    expect(mem.readU16(PAGE_SIZE - 2)).toBe(0xc3d4);
    expect(mem.readU16(PAGE_SIZE - 1)).toBe(0xb2c3);
    mem.writeU64(2 * PAGE_SIZE - 4, 0xffee_ddcc_bbaa_9988n);
    expect(mem.readU64(2 * PAGE_SIZE - 4)).toBe(0xffee_ddcc_bbaa_9988n);
    mem.writeU16(3 * PAGE_SIZE - 1, 0x1234);
    expect(mem.readU8(3 * PAGE_SIZE - 1)).toBe(0x34);
    expect(mem.readU8(3 * PAGE_SIZE)).toBe(0x12);
    const src = Uint8Array.from({ length: 3 * PAGE_SIZE }, (_, i) => i % 251);
    mem.write(5 * PAGE_SIZE + 100, src);
    expect(mem.readBytes(5 * PAGE_SIZE + 100, src.length)).toEqual(src);
  });

  it('addresses beyond 4 GiB work (plain numbers, exact below 2^53)', () => {
    const mem = new GuestMemory(16 * 1024 * MiB);
    const gpa = 0x3_0000_0ffc;
    mem.writeU64(gpa, 0x0102_0304_0506_0708n);
    expect(mem.readU64(gpa)).toBe(0x0102_0304_0506_0708n);
    expect(mem.touchedPages()).toEqual([0x30_0000, 0x30_0001]);
  });

  it('fill with zero on untouched pages allocates nothing; nonzero allocates', () => {
    const mem = new GuestMemory(MiB);
    mem.fill(0, 10 * PAGE_SIZE, 0);
    expect(mem.touchedBytes()).toBe(0);
    mem.fill(PAGE_SIZE - 1, 2, 0xab);
    expect(mem.readU16(PAGE_SIZE - 1)).toBe(0xabab);
    expect(mem.touchedBytes()).toBe(2 * PAGE_SIZE);
  });

  it('reports every write to the observer, and only writes', () => {
    const mem = new GuestMemory(MiB);
    const seen: [number, number][] = [];
    mem.setWriteObserver((gpa, len) => seen.push([gpa, len]));
    mem.writeU32(0x10, 1);
    mem.write(0x2000, new Uint8Array(5000));
    mem.readU64(0x10);
    mem.writeU64(0x30, 1n);
    mem.setWriteObserver(undefined);
    mem.writeU8(0x40, 1);
    expect(seen).toEqual([
      [0x10, 4],
      [0x2000, 5000],
      [0x30, 8],
    ]);
  });

  it('rejects out-of-range and non-integer accesses with EFAULT, changing nothing', () => {
    const mem = new GuestMemory(2 * PAGE_SIZE);
    mem.writeU32(0, 0x55);
    expect(errnoOf(() => mem.readU32(2 * PAGE_SIZE - 2))).toBe('EFAULT');
    expect(errnoOf(() => mem.writeU64(2 * PAGE_SIZE - 4, 1n))).toBe('EFAULT');
    expect(errnoOf(() => mem.write(PAGE_SIZE, new Uint8Array(PAGE_SIZE + 1)))).toBe('EFAULT');
    expect(errnoOf(() => mem.readU8(-1))).toBe('EFAULT');
    expect(errnoOf(() => mem.readU8(1.5))).toBe('EFAULT');
    expect(errnoOf(() => mem.fill(1, 2 * PAGE_SIZE, 1))).toBe('EFAULT');
    expect(mem.touchedPages()).toEqual([0]);
    expect(mem.readU32(0)).toBe(0x55);
    expect(mem.readU32(PAGE_SIZE)).toBe(0);
  });

  it('rejects a size that is not a positive multiple of the page size with EINVAL', () => {
    expect(errnoOf(() => new GuestMemory(0))).toBe('EINVAL');
    expect(errnoOf(() => new GuestMemory(PAGE_SIZE + 1))).toBe('EINVAL');
  });

  it('copyFrom copies populated pages, discards the ones the source lacks, and reports one write', () => {
    const src = new GuestMemory(MiB);
    const dst = new GuestMemory(2 * MiB);
    src.writeU32(PAGE_SIZE + 8, 0xfeed_f00d);
    src.fill(10 * PAGE_SIZE, 3 * PAGE_SIZE, 0x5a);
    dst.writeU32(2 * PAGE_SIZE, 0x1234); // not in the source: gone after the copy
    dst.writeU32(100 * PAGE_SIZE, 0x99); // in a directory chunk the source has nothing in: gone too
    dst.writeU32(200 * PAGE_SIZE, 0x77); // outside the copied range: kept
    const seen: [number, number][] = [];
    dst.setWriteObserver((gpa, len) => seen.push([gpa, len]));
    dst.copyFrom(src, 0, 128 * PAGE_SIZE);
    expect(seen).toEqual([[0, 128 * PAGE_SIZE]]);
    expect(dst.touchedPages()).toEqual([1, 10, 11, 12, 200]);
    expect(dst.readU32(PAGE_SIZE + 8)).toBe(0xfeed_f00d);
    expect(dst.readU32(2 * PAGE_SIZE)).toBe(0);
    expect(dst.readBytes(10 * PAGE_SIZE, 3 * PAGE_SIZE)).toEqual(new Uint8Array(3 * PAGE_SIZE).fill(0x5a));
    expect(dst.readU32(100 * PAGE_SIZE)).toBe(0);
    expect(dst.readU32(200 * PAGE_SIZE)).toBe(0x77);
    // The source is untouched; a later write to either side does not show in the other.
    dst.writeU8(PAGE_SIZE + 8, 0);
    expect(src.readU32(PAGE_SIZE + 8)).toBe(0xfeed_f00d);
  });

  it('copyFrom rejects ranges that are not whole pages (EINVAL) or not in both memories (EFAULT), copying nothing', () => {
    const src = new GuestMemory(4 * PAGE_SIZE);
    src.fill(0, 4 * PAGE_SIZE, 1);
    const dst = new GuestMemory(8 * PAGE_SIZE);
    expect(errnoOf(() => dst.copyFrom(src, 1, PAGE_SIZE))).toBe('EINVAL');
    expect(errnoOf(() => dst.copyFrom(src, 0, PAGE_SIZE + 1))).toBe('EINVAL');
    expect(errnoOf(() => dst.copyFrom(src, 0, 8 * PAGE_SIZE))).toBe('EFAULT');
    expect(errnoOf(() => src.copyFrom(dst, 0, 8 * PAGE_SIZE))).toBe('EFAULT');
    expect(dst.touchedBytes()).toBe(0);
    dst.copyFrom(src, 0, 4 * PAGE_SIZE);
    expect(dst.touchedBytes()).toBe(4 * PAGE_SIZE);
    dst.copyFrom(dst, 0, 8 * PAGE_SIZE); // onto itself: nothing changes
    expect(dst.touchedBytes()).toBe(4 * PAGE_SIZE);
  });

  it('discard drops whole pages (slots reused, host memory flat), zeroes partial ones, and is not a write', () => {
    const mem = new GuestMemory(4 * MiB);
    const seen: number[] = [];
    mem.fill(0, MiB, 0xff);
    const host = mem.hostBytes();
    mem.setWriteObserver((gpa) => seen.push(gpa));
    mem.discard(PAGE_SIZE / 2, 2 * PAGE_SIZE);
    expect(seen).toEqual([]);
    expect(mem.touchedPages().slice(0, 3)).toEqual([0, 2, 3]);
    expect(mem.readU8(PAGE_SIZE / 2 - 1)).toBe(0xff);
    expect(mem.readU8(PAGE_SIZE / 2)).toBe(0);
    expect(mem.readU8(PAGE_SIZE * 2 + PAGE_SIZE / 2 - 1)).toBe(0);
    expect(mem.readU8(PAGE_SIZE * 2 + PAGE_SIZE / 2)).toBe(0xff);
    mem.discard(0, MiB);
    expect(mem.touchedBytes()).toBe(0);
    expect(mem.readU32(100)).toBe(0);
    mem.setWriteObserver(undefined);
    // Populating again reuses the discarded slots (zeroed), no new host memory.
    mem.writeU8(3 * MiB, 1);
    expect(mem.readBytes(3 * MiB, PAGE_SIZE)).toEqual(
      Uint8Array.from({ length: PAGE_SIZE }, (_, i) => (i ? 0 : 1)),
    );
    mem.fill(MiB, MiB - PAGE_SIZE, 2);
    expect(mem.hostBytes()).toBe(host);
    expect(errnoOf(() => mem.discard(4 * MiB - 1, 2))).toBe('EFAULT');
    expect(mem.touchedBytes()).toBe(MiB);
  });

  it('holds host memory in slabs that grow with what is touched (4, 8, 16, 32, then 64 pages)', () => {
    const mem = new GuestMemory(64 * MiB);
    expect(mem.hostBytes()).toBe(0);
    mem.writeU8(10 * MiB, 1);
    expect(mem.hostBytes()).toBe(4 * PAGE_SIZE);
    for (let p = 0; p < 300; p++) mem.writeU8(p * 2 * PAGE_SIZE, 1);
    // 301 pages: 4 + 8 + 16 + 32 + 64 + 64 + 64 + 64 = 316 pages of slabs.
    expect(mem.touchedBytes()).toBe(301 * PAGE_SIZE);
    expect(mem.hostBytes()).toBe(316 * PAGE_SIZE);
  });

  it('release gives every page back; the memory stays usable, a later memory reuses the full slabs', () => {
    const a = new GuestMemory(64 * MiB);
    a.fill(0, 16 * MiB, 0x33);
    const seen: number[] = [];
    a.setWriteObserver((gpa) => seen.push(gpa));
    a.release();
    expect(seen).toEqual([]);
    expect(a.touchedBytes()).toBe(0);
    expect(a.hostBytes()).toBe(0);
    expect(a.readU32(12 * MiB)).toBe(0);
    // A pooled slab comes back to the next memory's first full slab: its bytes are overwritten or zeroed.
    const b = new GuestMemory(64 * MiB);
    b.fill(0, 2 * MiB, 0); // untouched: allocates nothing
    for (let p = 0; p < 200; p++) b.writeU8(p * PAGE_SIZE + 1, 7);
    expect(b.readU8(199 * PAGE_SIZE)).toBe(0);
    expect(b.readU8(199 * PAGE_SIZE + 1)).toBe(7);
    expect(b.readBytes(150 * PAGE_SIZE, PAGE_SIZE).filter((x) => x !== 0)).toEqual(Uint8Array.of(7));
    a.writeU32(0, 5);
    expect(a.readU32(0)).toBe(5);
  });

  it('forEachPopulatedPage visits populated pages of a range in ascending order', () => {
    const mem = new GuestMemory(2 ** 40);
    for (const pfn of [0x3_0000, 5, 0x1000_0000 - 1, 64, 63]) mem.writeU8(pfn * PAGE_SIZE, 1);
    const all: number[] = [];
    mem.forEachPopulatedPage((pfn) => all.push(pfn));
    expect(all).toEqual([5, 63, 64, 0x3_0000, 0x1000_0000 - 1]);
    const some: number[] = [];
    mem.forEachPopulatedPage((pfn) => some.push(pfn), 63 * PAGE_SIZE, 2 * PAGE_SIZE);
    expect(some).toEqual([63, 64]);
    expect(errnoOf(() => mem.forEachPopulatedPage(() => {}, 1, PAGE_SIZE))).toBe('EINVAL');
  });

  it('readStruct/writeStruct: in place inside a page, through a copy across pages; a bad value writes nothing', () => {
    // 32 bytes: u32, u32, u32[2], u64, u64.
    const info = defineStruct('rec', [
      { name: 'argsz', type: 'u32' },
      { name: 'flags', type: 'u32' },
      { name: 'pair', type: 'u32', count: 2 },
      { name: 'size', type: 'u64' },
      { name: 'offset', type: 'u64' },
    ]);
    const mem = new GuestMemory(MiB);
    const seen: [number, number][] = [];
    mem.setWriteObserver((gpa, len) => seen.push([gpa, len]));
    expect(mem.readStruct(info, 0x100)).toEqual(info.zero());
    expect(mem.touchedBytes()).toBe(0);
    const v = { argsz: 32, flags: 7, pair: [2, 0], size: 0x8000n, offset: 2n << 40n };
    expect(errnoOf(() => mem.writeStruct(info, 0x100, { ...v, flags: -1 }))).toBe('ERANGE');
    expect(mem.touchedBytes()).toBe(0);
    mem.writeStruct(info, 0x100, v);
    mem.writeStruct(info, PAGE_SIZE - 16, v); // straddles two pages
    expect(seen).toEqual([
      [0x100, 32],
      [PAGE_SIZE - 16, 32],
    ]);
    expect(mem.readStruct(info, 0x100)).toEqual(v);
    expect(mem.readStruct(info, PAGE_SIZE - 16)).toEqual(v);
    expect(info.decode(mem.readBytes(PAGE_SIZE - 16, 32))).toEqual(v);
    expect(mem.readU32(0x104)).toBe(7);
    expect(errnoOf(() => mem.writeStruct(info, MiB - 16, v))).toBe('EFAULT');
    expect(errnoOf(() => mem.readStruct(info, MiB - 16))).toBe('EFAULT');
  });

  // Model-based: any sequence of writes and reads agrees with a flat Uint8Array.
  type Op =
    | { op: 'u8' | 'u16' | 'u32'; at: number; v: number }
    | { op: 'u64'; at: number; v: bigint }
    | { op: 'bytes'; at: number; data: Uint8Array }
    | { op: 'discard'; at: number; length: number }
    | { op: 'copy'; page: number; pages: number };
  const PAGES = 4;
  const SIZE = PAGES * PAGE_SIZE;
  const at = (w: number) => fc.integer({ min: 0, max: SIZE - w });
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ op: fc.constant('u8' as const), at: at(1), v: fc.nat(0xff) }),
    fc.record({ op: fc.constant('u16' as const), at: at(2), v: fc.nat(0xffff) }),
    fc.record({ op: fc.constant('u32' as const), at: at(4), v: fc.nat(0xffff_ffff) }),
    fc.record({
      op: fc.constant('u64' as const),
      at: at(8),
      v: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    }),
    fc.integer({ min: 0, max: SIZE - 1 }).chain((a) =>
      fc.record({
        op: fc.constant('bytes' as const),
        at: fc.constant(a),
        data: fc.uint8Array({ maxLength: SIZE - a }),
      }),
    ),
    fc.integer({ min: 0, max: SIZE - 1 }).chain((a) =>
      fc.record({
        op: fc.constant('discard' as const),
        at: fc.constant(a),
        length: fc.integer({ min: 0, max: SIZE - a }),
      }),
    ),
    fc.integer({ min: 0, max: PAGES - 1 }).chain((p) =>
      fc.record({
        op: fc.constant('copy' as const),
        page: fc.constant(p),
        pages: fc.integer({ min: 0, max: PAGES - p }),
      }),
    ),
  );

  test.prop([fc.array(opArb, { maxLength: 40 })])('agrees with a flat byte array', (ops) => {
    const mem = new GuestMemory(SIZE);
    const flat = new Uint8Array(SIZE);
    const view = new DataView(flat.buffer);
    for (const o of ops) {
      switch (o.op) {
        case 'u8':
          mem.writeU8(o.at, o.v);
          view.setUint8(o.at, o.v);
          expect(mem.readU8(o.at)).toBe(view.getUint8(o.at));
          break;
        case 'u16':
          mem.writeU16(o.at, o.v);
          view.setUint16(o.at, o.v, true);
          expect(mem.readU16(o.at)).toBe(view.getUint16(o.at, true));
          break;
        case 'u32':
          mem.writeU32(o.at, o.v);
          view.setUint32(o.at, o.v, true);
          expect(mem.readU32(o.at)).toBe(view.getUint32(o.at, true));
          break;
        case 'u64':
          mem.writeU64(o.at, o.v);
          view.setBigUint64(o.at, o.v, true);
          expect(mem.readU64(o.at)).toBe(view.getBigUint64(o.at, true));
          break;
        case 'bytes':
          mem.write(o.at, o.data);
          flat.set(o.data, o.at);
          break;
        case 'discard':
          mem.discard(o.at, o.length);
          flat.fill(0, o.at, o.at + o.length);
          break;
        case 'copy': {
          // Through a second memory and back: both directions of copyFrom against the flat model.
          const other = new GuestMemory(SIZE);
          other.copyFrom(mem, 0, SIZE);
          other.fill(o.page * PAGE_SIZE, o.pages * PAGE_SIZE, 0xee);
          flat.fill(0xee, o.page * PAGE_SIZE, (o.page + o.pages) * PAGE_SIZE);
          mem.copyFrom(other, o.page * PAGE_SIZE, o.pages * PAGE_SIZE);
          expect(other.readBytes(0, SIZE).findIndex((b, i) => b !== flat[i])).toBe(-1);
          break;
        }
      }
    }
    const got = mem.readBytes(0, SIZE);
    expect(got.findIndex((b, i) => b !== flat[i])).toBe(-1);
    // Populated pages are exactly those holding a written byte or not discarded since (a superset of
    // the non-zero pages), and touchedBytes counts them.
    const pages = mem.touchedPages();
    expect(mem.touchedBytes()).toBe(pages.length * PAGE_SIZE);
    for (let p = 0; p < PAGES; p++) {
      if (flat.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE).some((b) => b !== 0)) expect(pages).toContain(p);
    }
  });
});
