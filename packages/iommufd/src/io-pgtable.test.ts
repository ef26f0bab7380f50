import { errnoOf, UserMemory } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { IoPgtable, IotlbGather, newIoPtWalk } from './io-pgtable.js';
import { AMD_V1, ARM_SMMUV3_S1, type IoPgtableFormat, VTD_SS } from './io-pgtable-format.js';
import { IovaBitmap } from './iova-bitmap.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const RW = { read: true, write: true };
const RO = { read: true, write: false };
const PA = 0x40_0000_0000; // 256 GiB: address bits above 32 exercise the hi half

/** The leaf PTE (lo, hi) translating `iova`. */
function pte(pt: IoPgtable, iova: number): { lo: number; hi: number; level: number } {
  const w = newIoPtWalk();
  if (!pt.walk(iova, w)) throw new Error('not mapped');
  return { ...pt.entry(w.table, w.index), level: w.level };
}

describe('vendor bit encodings', () => {
  it('AMD v1: PR bit 0, NextLevel 0 for leaves, IR bit 61, IW bit 62, address 51:12, D bit 6', () => {
    const pt = new IoPgtable(AMD_V1, true);
    pt.map(0x20_0000, PA + 0x20_0000, 2 * MiB, RW);
    pt.map(0x40_0000 + 4096, PA + 4096, 4096, RO);
    const huge = pte(pt, 0x20_0000);
    expect(huge.level).toBe(1);
    expect(huge.lo & 1).toBe(1);
    expect((huge.lo >>> 9) & 7).toBe(0);
    expect((huge.lo & 0xfffff000) >>> 0).toBe(0x20_0000);
    expect(huge.hi & 0xfffff).toBe(0x40);
    expect((huge.hi >>> 29) & 3).toBe(3); // IR | IW
    const small = pte(pt, 0x40_1000);
    expect(small.level).toBe(0);
    expect((small.hi >>> 29) & 3).toBe(1); // IR only
    expect(small.lo & 0x40).toBe(0); // new mapping is clean
    pt.markDirty(loc(pt, 0x20_0000));
    expect(pte(pt, 0x20_0000).lo & 0x40).toBe(0x40);
    // Table entries carry NextLevel = child level (1-based).
    const root = pt.entry(pt.root, 0);
    expect((root.lo >>> 9) & 7).toBe(3);
  });

  it('VT-d second stage: R bit 0, W bit 1, PS bit 7 on large leaves, D bit 9', () => {
    const pt = new IoPgtable(VTD_SS, true);
    pt.map(GiB, PA, GiB, RW);
    pt.map(0, PA + GiB, 4096, RO);
    const g = pte(pt, GiB + 123);
    expect(g.level).toBe(2);
    expect(g.lo & 3).toBe(3);
    expect(g.lo & 0x80).toBe(0x80);
    expect(pte(pt, 0).lo & 0x83).toBe(1); // R only, no PS on a 4 KiB leaf
    pt.markDirty(loc(pt, GiB));
    expect(pte(pt, GiB).lo & 0x200).toBe(0x200);
  });

  it('ARM SMMUv3 stage 1: DBM bit 51 + AP[2] bit 7; new writable leaves start writable-dirty', () => {
    const pt = new IoPgtable(ARM_SMMUV3_S1, true);
    pt.map(0, PA, 2 * MiB + 4096, RW);
    pt.map(4 * MiB, PA, 4096, RO);
    const block = pte(pt, 0);
    expect(block.lo & 3).toBe(1); // block
    expect((block.hi >>> 19) & 1).toBe(1); // DBM
    expect(block.lo & 0x80).toBe(0); // AP[2] clear: writable-dirty
    const page = pte(pt, 2 * MiB);
    expect(page.lo & 3).toBe(3); // page
    const ro = pte(pt, 4 * MiB);
    expect(ro.lo & 0x80).toBe(0x80); // genuinely read-only: AP[2]=1, DBM=0
    expect((ro.hi >>> 19) & 1).toBe(0);
    // Clearing sets AP[2] (writable-clean); a write clears it again.
    const n = pt.readAndClearDirty(0, 8 * MiB, false, null, null);
    expect(n).toBe(2);
    expect(pte(pt, 0).lo & 0x80).toBe(0x80);
    expect(pt.walk(0, newIoPtWalk())).toBe(true);
    pt.markDirty(loc(pt, 0));
    expect(pte(pt, 0).lo & 0x80).toBe(0);
    // markDirty on a read-only leaf (no DBM) changes nothing.
    pt.markDirty(loc(pt, 4 * MiB));
    expect(pte(pt, 4 * MiB).lo & 0x80).toBe(0x80);
  });

  it('ARM without dirty tracking: writable leaves have no DBM and never read dirty', () => {
    const pt = new IoPgtable(ARM_SMMUV3_S1, false);
    pt.map(0, PA, 4096, RW);
    expect((pte(pt, 0).hi >>> 19) & 1).toBe(0);
    expect(pt.readAndClearDirty(0, 4096, false, null, null)).toBe(0);
  });
});

function loc(pt: IoPgtable, iova: number): number {
  const w = newIoPtWalk();
  pt.walk(iova, w);
  return w.pte;
}

describe.each<[string, IoPgtableFormat]>([
  ['amd-v1', AMD_V1],
  ['vtd-ss', VTD_SS],
  ['arm-smmuv3-s1', ARM_SMMUV3_S1],
])('IoPgtable %s', (_name, format) => {
  it('maps with the largest leaves alignment allows, translates, unmaps', () => {
    const pt = new IoPgtable(format, false);
    pt.map(GiB - 4096, PA + GiB - 4096, GiB + 2 * MiB + 8192, RW);
    const sizes = pt.leaves().map((l) => l.size);
    expect(sizes.filter((s) => s === GiB)).toHaveLength(1);
    expect(sizes.filter((s) => s === 2 * MiB)).toHaveLength(1);
    expect(sizes.filter((s) => s === 4096)).toHaveLength(2);
    const w = newIoPtWalk();
    expect(pt.walk(GiB + 12345, w)).toBe(true);
    expect(w.pa).toBe(PA + GiB + 12345);
    expect(w.leafSize).toBe(GiB);
    expect(pt.walk(GiB - 8192, w)).toBe(false);
    expect(pt.unmap(GiB - 4096, GiB + 2 * MiB + 8192)).toBe(GiB + 2 * MiB + 8192);
    expect(pt.leaves()).toEqual([]);
    expect(pt.tablePages).toBe(1); // empty tables freed
  });

  it('refuses overlaps (EEXIST) and misalignment (EINVAL) without changing anything', () => {
    const pt = new IoPgtable(format, false);
    pt.map(2 * MiB, PA, 2 * MiB, RW);
    const before = pt.leaves();
    expect(errnoOf(() => pt.map(0, PA, 4 * MiB, RW))).toBe('EEXIST');
    expect(errnoOf(() => pt.map(3 * MiB, PA, 4096, RW))).toBe('EEXIST');
    expect(errnoOf(() => pt.map(100, PA, 4096, RW))).toBe('EINVAL');
    expect(errnoOf(() => pt.map(2 ** 48, PA, 4096, RW))).toBe('EINVAL');
    expect(pt.leaves()).toEqual(before);
  });

  it('unmap of part of a huge leaf splits it first', () => {
    const pt = new IoPgtable(format, false);
    pt.map(0, PA, 2 * MiB, RW);
    expect(pt.unmap(4096, 4096)).toBe(4096);
    const w = newIoPtWalk();
    expect(pt.walk(4096, w)).toBe(false);
    expect(pt.walk(8192, w)).toBe(true);
    expect(w.pa).toBe(PA + 8192);
    expect(pt.leaves()).toHaveLength(511);
  });

  it('read-and-clear reports whole leaves, NO_CLEAR keeps them, gather covers the cleared range', () => {
    const pt = new IoPgtable(format, true);
    pt.map(0, PA, 4 * MiB + 8192, RW);
    pt.readAndClearDirty(0, 8 * MiB, false, null, null); // ARM starts dirty: clean snapshot
    pt.markDirty(loc(pt, 2 * MiB + 100));
    pt.markDirty(loc(pt, 4 * MiB + 4096));
    const mm = new UserMemory();
    const data = mm.alloc(256, 8);
    const bm = new IovaBitmap(mm, 0, 8 * MiB, 4096, data);
    expect(pt.readAndClearDirty(0, 8 * MiB, true, bm, null)).toBe(2);
    const g = new IotlbGather();
    expect(pt.readAndClearDirty(0, 8 * MiB, false, bm, g)).toBe(2);
    bm.flush();
    expect(g.start).toBe(2 * MiB);
    expect(g.end).toBe(4 * MiB + 8192);
    for (let p = 0; p < 2048; p++) {
      const expected = (p >= 512 && p < 1024) || p === 1025;
      expect(bm.test(p * 4096)).toBe(expected);
    }
    expect(pt.readAndClearDirty(0, 8 * MiB, false, null, null)).toBe(0);
  });

  it('split keeps every sub-leaf dirty; collapse needs agreeing dirty state (EBUSY) and keeps it', () => {
    const pt = new IoPgtable(format, true);
    pt.map(0, PA, 2 * MiB, RW);
    pt.readAndClearDirty(0, 2 * MiB, false, null, null);
    pt.markDirty(loc(pt, 0));
    expect(pt.split(100)).toBe(true);
    expect(pt.leaves().every((l) => l.size === 4096 && l.dirty)).toBe(true);
    const w = newIoPtWalk();
    pt.walk(0x12345, w);
    expect(w.pa).toBe(PA + 0x12345);
    // Collapse of all-dirty leaves → one dirty 2 MiB leaf.
    expect(pt.collapse(0, 1)).toBe(true);
    expect(pt.leaves()).toEqual([{ iova: 0, size: 2 * MiB, dirty: true, writable: true }]);
    // Split, clean one sub-leaf: mixed state → EBUSY and unchanged.
    pt.split(0);
    pt.readAndClearDirty(4096, 4096, false, null, null);
    const before = pt.leaves();
    expect(errnoOf(() => pt.collapse(0, 1))).toBe('EBUSY');
    expect(pt.leaves()).toEqual(before);
    pt.readAndClearDirty(0, 2 * MiB, false, null, null);
    expect(pt.collapse(0, 1)).toBe(true);
    expect(pt.leaves()).toEqual([{ iova: 0, size: 2 * MiB, dirty: false, writable: true }]);
    expect(pt.tablePages).toBe(3); // root + L2 + L1 (the freed 4 KiB table is reusable)
  });
});

describe('page-table memory (scale)', () => {
  it('1 TiB of 1 GiB leaves takes 3 table pages (12 KiB); of 2 MiB leaves 1027 pages (~4 MiB)', () => {
    const TiB = 1024 * GiB;
    const huge = new IoPgtable(VTD_SS, true);
    huge.map(0, 0, TiB, RW);
    expect(huge.bytes).toBe(12 * KiB);
    const mid = new IoPgtable(AMD_V1, true);
    mid.map(0, 0, TiB, RW, 4096 + 2 * MiB);
    expect(mid.tablePages).toBe(1 + 2 + 1024);
    expect(mid.readAndClearDirty(0, TiB, false, null, null)).toBe(0);
  });
});
