/**
 * The IO page-table formats the model implements, as bit encodings of 64-bit entries held as two
 * 32-bit halves (`lo` = bits 31:0, `hi` = bits 63:32), and their geometry. The three vendor formats here
 * are 4-level radix trees of 512 entries per 4 KiB table page with a 4 KiB granule ({@link VENDOR_GEOMETRY}):
 * level 0 holds 4 KiB leaves, level 1 2 MiB leaves, level 2 1 GiB leaves, level 3 is the root (48-bit
 * IOVA). The iommufd selftest's mock format (`io-pgtable-format-mock.ts`) reuses the AMD encoding with a
 * 2 KiB granule.
 *
 * Kernel counterparts: drivers/iommu/generic_pt/fmt/amdv1.h + drivers/iommu/amd/amd_iommu_types.h
 * (AMD v1 host table), generic_pt/fmt/vtdss.h + drivers/iommu/intel/iommu.h (VT-d second stage),
 * drivers/iommu/io-pgtable-arm.c (ARM LPAE stage 1, used by arm-smmu-v3).
 */

/** Format names. */
export type IoPgtableFormatName = 'amd-v1' | 'vtd-ss' | 'arm-smmuv3-s1' | 'iommufd-mock';

/**
 * The shape of a format's radix tree. Table pages are always 4 KiB (512 entries); what differs is the
 * size one level-0 entry maps, how many levels there are and which levels may hold leaves.
 *
 * Kernel counterpart: generic_pt's `PT_GRANULE_LG2SZ`, `PT_MAX_TOP_LEVEL` / the configured
 * `starting_level`, `pt_can_have_leaf()`, and the `FIELD_PREP(OA, oa >> PT_GRANULE_LG2SZ)` encoding.
 */
export interface IoPgtableGeometry {
  /** log2 of the level-0 entry size (12: 4 KiB; 11: the mock's 2 KiB). */
  readonly granuleShift: number;
  /** Levels of the tree (the root is level `levels - 1`). */
  readonly levels: number;
  /** Bit `l` set: an entry at level `l` may be a leaf. */
  readonly leafLevels: number;
  /**
   * The output-address field (bits 51:12 of a PTE) holds `oa >> oaShift`: 12 for the vendor formats
   * (the field is the address itself), 11 for the mock (its 2 KiB granule).
   */
  readonly oaShift: number;
}

/** The vendor formats' geometry: 4 KiB granule, 4 levels, leaves at levels 0–2 (4 KiB, 2 MiB, 1 GiB). */
export const VENDOR_GEOMETRY: IoPgtableGeometry = Object.freeze({
  granuleShift: 12,
  levels: 4,
  leafLevels: 0b0111,
  oaShift: 12,
});

/** Access a leaf grants. */
export interface IommuProt {
  readonly read: boolean;
  readonly write: boolean;
}

/**
 * How one format encodes entries. Hot loops only use the numeric masks; the functions are for map,
 * split and collapse, which run per table, not per access.
 */
export interface IoPgtableFormat {
  readonly name: IoPgtableFormatName;
  /** Human name for tables and messages. */
  readonly title: string;
  /** The tree's shape. */
  readonly geometry: IoPgtableGeometry;
  /** Bits of `lo` that make an entry present (any of them). */
  readonly presentLo: number;
  /** Mask of the output-address bits held in `hi` (bits 51:32 → 0xfffff; ARM 47:32 → 0xffff). */
  readonly addrHiMask: number;
  /**
   * `'bit'`: dirty iff `lo & dirtyLo` (AMD D bit 6, VT-d D bit 9); clearing clears it.
   * `'dbm'`: dirty iff `hi & dbmHi` (DBM, bit 51) and not `lo & dirtyLo` (AP[2], bit 7); clearing
   * sets AP[2] (writable-clean).
   */
  readonly dirtyEncoding: 'bit' | 'dbm';
  readonly dirtyLo: number;
  readonly dbmHi: number;
  /** Whether a new writable leaf in a dirty-tracking domain starts dirty (ARM: writable-dirty encoding). */
  readonly newWritableLeafDirty: boolean;
  /** Flag bits (no address) of a leaf at `level`, into `out[0]` (lo) and `out[1]` (hi). */
  leafFlags(level: number, prot: IommuProt, dirtyTracking: boolean, out: Uint32Array): void;
  /** Flag bits of a table entry pointing at a table of `childLevel`. */
  tableFlags(childLevel: number, out: Uint32Array): void;
  /** Whether a present entry at `level` (> 0) is a leaf rather than a table pointer. */
  isLeaf(lo: number, level: number): boolean;
  /** Whether the leaf lets DMA write (now, or after a hardware dirty update for DBM). */
  isWritable(lo: number, hi: number): boolean;
  /** Whether the leaf lets DMA read. */
  isReadable(lo: number, hi: number): boolean;
  /** Bits that differ between two leaves of one mapping only by hardware-updated state (A/D/AP[2] for DBM). */
  readonly hwStateLo: number;
}

/** AMD v1 PTE bits (amd_iommu_types.h): PR 0, A 5, D 6, NextLevel 11:9, addr 51:12, FC 60, IR 61, IW 62. */
export const AMD_PTE_PR = 1 << 0;
export const AMD_PTE_HA = 1 << 5;
export const AMD_PTE_HD = 1 << 6;
export const AMD_PTE_NEXT_LEVEL_SHIFT = 9;
export const AMD_PTE_FC_HI = 1 << (60 - 32);
export const AMD_PTE_IR_HI = 1 << (61 - 32);
export const AMD_PTE_IW_HI = 1 << (62 - 32);

/** AMD v1: 4-level host table, leaves marked by NextLevel = 0, dirty = bit 6. */
export const AMD_V1: IoPgtableFormat = {
  name: 'amd-v1',
  title: 'AMD-Vi v1 (host page table)',
  geometry: VENDOR_GEOMETRY,
  presentLo: AMD_PTE_PR,
  addrHiMask: 0xfffff,
  dirtyEncoding: 'bit',
  dirtyLo: AMD_PTE_HD,
  dbmHi: 0,
  newWritableLeafDirty: false,
  hwStateLo: AMD_PTE_HA | AMD_PTE_HD,
  leafFlags(_level, prot, _dirty, out) {
    out[0] = AMD_PTE_PR; // NextLevel 0: a leaf of this level's default size
    out[1] = (AMD_PTE_FC_HI | (prot.read ? AMD_PTE_IR_HI : 0) | (prot.write ? AMD_PTE_IW_HI : 0)) >>> 0;
  },
  tableFlags(childLevel, out) {
    out[0] = AMD_PTE_PR | ((childLevel + 1) << AMD_PTE_NEXT_LEVEL_SHIFT);
    out[1] = (AMD_PTE_IR_HI | AMD_PTE_IW_HI) >>> 0;
  },
  isLeaf: (lo) => ((lo >>> AMD_PTE_NEXT_LEVEL_SHIFT) & 7) === 0,
  isWritable: (_lo, hi) => (hi & AMD_PTE_IW_HI) !== 0,
  isReadable: (_lo, hi) => (hi & AMD_PTE_IR_HI) !== 0,
};

/** VT-d second-stage PTE bits (intel/iommu.h, vtdss.h): R 0, W 1, PS 7, A 8, D 9, SNP 11, addr 51:12. */
export const DMA_PTE_READ = 1 << 0;
export const DMA_PTE_WRITE = 1 << 1;
export const DMA_PTE_LARGE_PAGE = 1 << 7;
export const DMA_SL_PTE_ACCESS = 1 << 8;
export const DMA_SL_PTE_DIRTY = 1 << 9;
export const DMA_PTE_SNP = 1 << 11;

/** Intel VT-d second stage: large leaves marked by PS, dirty = bit 9. */
export const VTD_SS: IoPgtableFormat = {
  name: 'vtd-ss',
  title: 'Intel VT-d second stage',
  geometry: VENDOR_GEOMETRY,
  presentLo: DMA_PTE_READ | DMA_PTE_WRITE,
  addrHiMask: 0xfffff,
  dirtyEncoding: 'bit',
  dirtyLo: DMA_SL_PTE_DIRTY,
  dbmHi: 0,
  newWritableLeafDirty: false,
  hwStateLo: DMA_SL_PTE_ACCESS | DMA_SL_PTE_DIRTY,
  leafFlags(level, prot, _dirty, out) {
    out[0] =
      (prot.read ? DMA_PTE_READ : 0) |
      (prot.write ? DMA_PTE_WRITE : 0) |
      (level > 0 ? DMA_PTE_LARGE_PAGE : 0) |
      DMA_PTE_SNP;
    out[1] = 0;
  },
  tableFlags(_childLevel, out) {
    out[0] = DMA_PTE_READ | DMA_PTE_WRITE;
    out[1] = 0;
  },
  isLeaf: (lo) => (lo & DMA_PTE_LARGE_PAGE) !== 0,
  isWritable: (lo) => (lo & DMA_PTE_WRITE) !== 0,
  isReadable: (lo) => (lo & DMA_PTE_READ) !== 0,
};

/**
 * ARM LPAE stage-1 descriptor bits (io-pgtable-arm.c): type 1:0 (0b11 table/page, 0b01 block),
 * AttrIndx 4:2, AP[1] 6 (unprivileged), AP[2] 7 (read-only), SH 9:8, AF 10, nG 11, addr 47:12,
 * DBM 51, XN 54.
 */
export const ARM_LPAE_PTE_TYPE_BLOCK = 1;
export const ARM_LPAE_PTE_TYPE_TABLE = 3;
export const ARM_LPAE_PTE_TYPE_PAGE = 3;
export const ARM_LPAE_PTE_ATTRINDX_CACHE = 1 << 2;
export const ARM_LPAE_PTE_AP_UNPRIV = 1 << 6;
export const ARM_LPAE_PTE_AP_RDONLY = 1 << 7;
export const ARM_LPAE_PTE_SH_IS = 3 << 8;
export const ARM_LPAE_PTE_AF = 1 << 10;
export const ARM_LPAE_PTE_NG = 1 << 11;
export const ARM_LPAE_PTE_DBM_HI = 1 << (51 - 32);
export const ARM_LPAE_PTE_XN_HI = 1 << (54 - 32);

/**
 * ARM SMMUv3 stage 1 (LPAE, 4 KiB granule): no dirty bit of its own. With HTTU HD a writable leaf
 * carries DBM; AP[2] set = writable-clean, AP[2] clear = writable-dirty (hardware clears AP[2] on the
 * first write). New writable leaves of a dirty-tracking domain start writable-dirty.
 */
export const ARM_SMMUV3_S1: IoPgtableFormat = {
  name: 'arm-smmuv3-s1',
  title: 'ARM SMMUv3 stage 1 (LPAE, HTTU)',
  geometry: VENDOR_GEOMETRY,
  presentLo: 1,
  addrHiMask: 0xffff,
  dirtyEncoding: 'dbm',
  dirtyLo: ARM_LPAE_PTE_AP_RDONLY,
  dbmHi: ARM_LPAE_PTE_DBM_HI,
  newWritableLeafDirty: true,
  hwStateLo: ARM_LPAE_PTE_AP_RDONLY,
  leafFlags(level, prot, dirtyTracking, out) {
    const type = level === 0 ? ARM_LPAE_PTE_TYPE_PAGE : ARM_LPAE_PTE_TYPE_BLOCK;
    out[0] =
      type |
      ARM_LPAE_PTE_ATTRINDX_CACHE |
      ARM_LPAE_PTE_AP_UNPRIV |
      (prot.write ? 0 : ARM_LPAE_PTE_AP_RDONLY) |
      ARM_LPAE_PTE_SH_IS |
      ARM_LPAE_PTE_AF |
      ARM_LPAE_PTE_NG;
    out[1] = (ARM_LPAE_PTE_XN_HI | (prot.write && dirtyTracking ? ARM_LPAE_PTE_DBM_HI : 0)) >>> 0;
  },
  tableFlags(_childLevel, out) {
    out[0] = ARM_LPAE_PTE_TYPE_TABLE;
    out[1] = 0;
  },
  isLeaf: (lo) => (lo & 3) === ARM_LPAE_PTE_TYPE_BLOCK,
  isWritable: (lo, hi) => (lo & ARM_LPAE_PTE_AP_RDONLY) === 0 || (hi & ARM_LPAE_PTE_DBM_HI) !== 0,
  isReadable: () => true,
};
