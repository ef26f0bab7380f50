import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { popcount32, scanDbm32, scanDirtyBit32 } from './io-pgtable-dirty-scan.js';
import {
  AMD_PTE_HD,
  ARM_LPAE_PTE_AP_RDONLY,
  ARM_LPAE_PTE_DBM_HI,
  DMA_SL_PTE_DIRTY,
} from './io-pgtable-format.js';

/**
 * Two groups of 32 entries (lo, hi halves), mostly clean (AMD/VT-d D clear, ARM AP[2] set) so that whole
 * clean blocks of 8 occur, the rest arbitrary.
 */
const entryArb = fc.tuple(
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.integer().map((x) => (x & ~(AMD_PTE_HD | DMA_SL_PTE_DIRTY)) | ARM_LPAE_PTE_AP_RDONLY),
    },
    { weight: 1, arbitrary: fc.integer() },
  ),
  fc.integer(),
);
const entriesArb = fc.array(entryArb, { minLength: 64, maxLength: 64 });
/** `from..to` inside a group; whole groups (the blockwise path) often. */
const rangeArb = fc.oneof(
  fc.constant([0, 31] as const),
  fc
    .tuple(fc.integer({ min: 0, max: 31 }), fc.integer({ min: 0, max: 31 }))
    .map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const),
);

function table(entries: ReadonlyArray<readonly [number, number]>): Int32Array {
  const c = new Int32Array(2 + 2 * entries.length);
  entries.forEach(([lo, hi], i) => {
    c[2 + 2 * i] = lo;
    c[3 + 2 * i] = hi;
  });
  return c;
}

describe('per-encoding dirty scans of 32 leaves', () => {
  test.prop([
    entriesArb,
    rangeArb,
    fc.constantFrom(AMD_PTE_HD, DMA_SL_PTE_DIRTY),
    fc.boolean(),
    fc.boolean(),
  ])(
    "'bit': mask = entries from..to with D set; clearing clears exactly those D bits",
    (entries, [from, to], dirtyLo, clear, second) => {
      const c = table(entries);
      const before = c.slice();
      const o0 = 2 + (second ? 64 : 0);
      const mask = scanDirtyBit32(c, o0, from, to, dirtyLo, clear);
      let expected = 0;
      for (let j = from; j <= to; j++) if ((before[o0 + 2 * j]! & dirtyLo) !== 0) expected |= 1 << j;
      expect(mask).toBe(expected);
      for (let o = 0; o < c.length; o++) {
        const j = (o - o0) >> 1;
        const cleared = clear && (o - o0) % 2 === 0 && j >= 0 && j < 32 && ((expected >>> j) & 1) === 1;
        expect(c[o]).toBe(cleared ? before[o]! & ~dirtyLo : before[o]);
      }
    },
  );

  test.prop([entriesArb, rangeArb, fc.boolean()])(
    "'dbm': mask = present entries with DBM and AP[2] clear; clearing sets AP[2] on exactly those",
    (entries, [from, to], clear) => {
      const c = table(entries);
      const before = c.slice();
      const mask = scanDbm32(c, 2, from, to, ARM_LPAE_PTE_AP_RDONLY, ARM_LPAE_PTE_DBM_HI, clear);
      let expected = 0;
      for (let j = from; j <= to; j++) {
        const lo = before[2 + 2 * j]!;
        const hi = before[3 + 2 * j]!;
        if ((lo & 1) === 1 && (hi & ARM_LPAE_PTE_DBM_HI) !== 0 && (lo & ARM_LPAE_PTE_AP_RDONLY) === 0) {
          expected |= 1 << j;
        }
      }
      expect(mask).toBe(expected);
      for (let j = 0; j < 64; j++) {
        const dirty = j < 32 && ((expected >>> j) & 1) === 1;
        expect(c[2 + 2 * j]).toBe(
          clear && dirty ? before[2 + 2 * j]! | ARM_LPAE_PTE_AP_RDONLY : before[2 + 2 * j],
        );
        expect(c[3 + 2 * j]).toBe(before[3 + 2 * j]);
      }
    },
  );

  it('popcount32 counts the dirty leaves of a mask, bit 31 included', () => {
    expect(popcount32(0)).toBe(0);
    expect(popcount32(1 << 31)).toBe(1);
    expect(popcount32(-1)).toBe(32);
    expect(popcount32(0x0f0f_0001)).toBe(9);
  });
});
