import {
  AMD_PTE_IR_HI,
  AMD_PTE_IW_HI,
  AMD_PTE_PR,
  AMD_V1,
  type IoPgtableFormat,
  type IoPgtableGeometry,
} from './io-pgtable-format.js';

/**
 * The mock format's geometry: 2 KiB granule (`PT_GRANULE_LG2SZ` 11) so the IOMMU page is smaller than
 * the CPU page, three levels as the selftest configures it (`starting_level = 2`: 2 KiB, 1 MiB and
 * 512 MiB entries, 38-bit IOVA), leaves at every level (AMD v1 forbids leaves only at its top level 4).
 */
export const MOCK_GEOMETRY: IoPgtableGeometry = Object.freeze({
  granuleShift: 11,
  levels: 3,
  leafLevels: 0b111,
  oaShift: 11,
});

/**
 * The iommufd selftest's mock IOMMU page table: the AMD v1 encoding (PR bit 0, NextLevel 11:9, D bit 6,
 * IR bit 61, IW bit 62) with a 2 KiB granule, the output address stored as `oa >> 11` in bits 51:12,
 * and no force-coherent bit (the mock variant supports no features). Dirty tracking, its enable and its
 * read-and-clear are AMD's; the selftest injects dirty bits with IOMMU_TEST_OP_DIRTY.
 *
 * Kernel counterpart: drivers/iommu/generic_pt/fmt/iommu_mock.c (`AMDV1_IOMMUFD_SELFTEST`,
 * `PT_FMT_VARIANT mock`, `PT_SUPPORTED_FEATURES 0`) over fmt/amdv1.h, as selftest.c's
 * `mock_domain_alloc_pgtable` sets it up.
 */
export const IOMMUFD_MOCK: IoPgtableFormat = {
  ...AMD_V1,
  name: 'iommufd-mock',
  title: 'iommufd selftest mock (AMD v1, 2 KiB granule)',
  geometry: MOCK_GEOMETRY,
  leafFlags(_level, prot, _dirty, out) {
    out[0] = AMD_PTE_PR; // NextLevel 0: a leaf of this level's size
    out[1] = ((prot.read ? AMD_PTE_IR_HI : 0) | (prot.write ? AMD_PTE_IW_HI : 0)) >>> 0;
  },
};
