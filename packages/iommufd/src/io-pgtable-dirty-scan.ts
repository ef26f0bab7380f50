/**
 * The per-entry part of read-and-clear: test-and-clear the dirty encoding of up to 32 consecutive
 * 4 KiB leaves of one table page and return them as a mask (bit `j` = entry `j` of the group), the unit
 * `IovaBitmap` records in one operation (one 32-bit word of a 4 KiB-granular bitmap). One function per dirty encoding, so the
 * loops carry no format dispatch; both read the `Int32Array` view of the table storage (see
 * `IoPgtable`) and allocate nothing.
 *
 * Kernel counterpart: the leaf step of each driver's `read_and_clear_dirty` — AMD
 * `pte_test_and_clear_dirty()` (io_pgtable.c / generic_pt amdv1), Intel
 * `dma_sl_pte_test_and_clear_dirty()` (iommu.h / generic_pt vtdss), ARM
 * `arm_lpae_read_and_clear_dirty()`'s `iopte_writeable_dirty()` + AP[2] set (io-pgtable-arm.c).
 *
 * @module
 */

/** Leaves per group: one 32-bit word of a 4 KiB-granular bitmap. */
export const DIRTY_SCAN_GROUP = 32;

/**
 * `'bit'` encoding (AMD v1 D = bit 6, VT-d second-stage D = bit 9): entry `j` of the group at word
 * offset `o0` is dirty iff `lo & dirtyLo`; clearing clears that bit. Scans entries `from..to`
 * (0 ≤ from ≤ to ≤ 31). A whole group is tested 8 entries at a time (one OR of 8 low halves): with
 * sparse dirtying most blocks of 8 are clean and cost one branch.
 */
export function scanDirtyBit32(
  c: Int32Array,
  o0: number,
  from: number,
  to: number,
  dirtyLo: number,
  clear: boolean,
): number {
  let mask = 0;
  if (from === 0 && to === DIRTY_SCAN_GROUP - 1) {
    for (let s = o0; s < o0 + 2 * DIRTY_SCAN_GROUP; s += 16) {
      const any =
        c[s]! | c[s + 2]! | c[s + 4]! | c[s + 6]! | c[s + 8]! | c[s + 10]! | c[s + 12]! | c[s + 14]!;
      if ((any & dirtyLo) === 0) continue;
      // Branch-free inside the block: its one or two dirty entries would mispredict.
      const shift = 31 - Math.clz32(dirtyLo);
      for (let o = s; o < s + 16; o += 2) {
        const lo = c[o]!;
        mask |= ((lo >>> shift) & 1) << ((o - o0) >>> 1);
        if (clear) c[o] = lo & ~dirtyLo;
      }
    }
    return mask;
  }
  for (let o = o0 + 2 * from; o <= o0 + 2 * to; o += 2) {
    const lo = c[o]!;
    if ((lo & dirtyLo) === 0) continue;
    mask |= 1 << ((o - o0) >>> 1);
    if (clear) c[o] = lo & ~dirtyLo;
  }
  return mask;
}

/**
 * `'dbm'` encoding (ARM SMMUv3 stage 1 with HTTU HD): entry `j` is dirty iff present (bit 0), DBM
 * (`hi & dbmHi`, bit 51) and not AP[2] (`lo & apRdonly`, bit 7, cleared by the hardware's first write);
 * clearing sets AP[2] again (writable-clean). Scans entries `from..to` of the group at `o0`.
 */
export function scanDbm32(
  c: Int32Array,
  o0: number,
  from: number,
  to: number,
  apRdonly: number,
  dbmHi: number,
  clear: boolean,
): number {
  let mask = 0;
  for (let o = o0 + 2 * from; o <= o0 + 2 * to; o += 2) {
    const lo = c[o]!;
    if ((lo & apRdonly) !== 0 || (lo & 1) === 0 || (c[o + 1]! & dbmHi) === 0) continue;
    mask |= 1 << ((o - o0) >>> 1);
    if (clear) c[o] = lo | apRdonly;
  }
  return mask;
}

/** Number of set bits of a 32-bit mask (dirty leaves in a group). */
export function popcount32(mask: number): number {
  let n = mask - ((mask >>> 1) & 0x55555555);
  n = (n & 0x33333333) + ((n >>> 2) & 0x33333333);
  return Math.imul((n + (n >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}
