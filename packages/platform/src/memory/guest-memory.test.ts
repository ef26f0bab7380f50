import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { errnoOf } from '../errno/kernel-error.js';
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

  // Model-based: any sequence of writes and reads agrees with a flat Uint8Array.
  type Op =
    | { op: 'u8' | 'u16' | 'u32'; at: number; v: number }
    | { op: 'u64'; at: number; v: bigint }
    | { op: 'bytes'; at: number; data: Uint8Array };
  const SIZE = 4 * PAGE_SIZE;
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
      }
    }
    const got = mem.readBytes(0, SIZE);
    expect(got.findIndex((b, i) => b !== flat[i])).toBe(-1);
  });
});
