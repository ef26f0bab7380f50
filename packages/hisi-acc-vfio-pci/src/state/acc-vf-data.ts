import { defineStruct } from '@vfio-sim/platform';

/**
 * `struct acc_vf_data` as the RFC v2 / v3 v1-protocol series defined it (hisi_acc_vfio_pci.h, 2021):
 * 32 bytes of match data (`QM_MATCH_SIZE`), then the VF registers, the EQC/AEQC images and four DMA
 * addresses; 168 bytes on arm64. The v1 migration region carries this layout.
 */
export const acc_vf_data_v1 = defineStruct(
  'acc_vf_data',
  [
    // QM match information
    { name: 'qp_num', type: 'u32', offset: 0 },
    { name: 'dev_id', type: 'u32', offset: 4 },
    { name: 'que_iso_cfg', type: 'u32', offset: 8 },
    { name: 'qp_base', type: 'u32', offset: 12 },
    { name: 'qm_rsv_state', type: 'u32', count: 4, offset: 16 },
    // QM RW regs
    { name: 'aeq_int_mask', type: 'u32', offset: 32 },
    { name: 'eq_int_mask', type: 'u32' },
    { name: 'ifc_int_source', type: 'u32' },
    { name: 'ifc_int_mask', type: 'u32' },
    { name: 'ifc_int_set', type: 'u32' },
    { name: 'page_size', type: 'u32' },
    { name: 'vf_state', type: 'u32' },
    { name: 'qm_eqc_dw', type: 'u32', count: 7, offset: 60 },
    { name: 'qm_aeqc_dw', type: 'u32', count: 7, offset: 88 },
    { name: 'qm_rsv_regs', type: 'u32', count: 5, offset: 116 },
    // qm memory init information
    { name: 'eqe_dma', type: 'u64', offset: 136 },
    { name: 'aeqe_dma', type: 'u64' },
    { name: 'sqc_dma', type: 'u64' },
    { name: 'cqc_dma', type: 'u64', offset: 160 },
  ],
  { size: 168 },
);

/**
 * `struct acc_vf_data` as merged upstream (v5.18+): an 8-byte magic, 40 bytes of match data
 * (`QM_MATCH_SIZE` = offsetofend(qm_rsv_state)), explicit padding before the DMA addresses; 176 bytes.
 * The v2 data stream carries this layout (v6.16+ splits qm_rsv_state[0] into major/minor version u16s).
 */
export const acc_vf_data = defineStruct(
  'acc_vf_data',
  [
    { name: 'acc_magic', type: 'u64', offset: 0 },
    { name: 'qp_num', type: 'u32', offset: 8 },
    { name: 'dev_id', type: 'u32', offset: 12 },
    { name: 'que_iso_cfg', type: 'u32', offset: 16 },
    { name: 'qp_base', type: 'u32', offset: 20 },
    { name: 'vf_qm_state', type: 'u32', offset: 24 },
    { name: 'qm_rsv_state', type: 'u32', count: 3, offset: 28 },
    { name: 'aeq_int_mask', type: 'u32', offset: 40 },
    { name: 'eq_int_mask', type: 'u32' },
    { name: 'ifc_int_source', type: 'u32' },
    { name: 'ifc_int_mask', type: 'u32' },
    { name: 'ifc_int_set', type: 'u32' },
    { name: 'page_size', type: 'u32' },
    { name: 'qm_eqc_dw', type: 'u32', count: 7, offset: 64 },
    { name: 'qm_aeqc_dw', type: 'u32', count: 7, offset: 92 },
    { name: 'qm_rsv_regs', type: 'u32', count: 5, offset: 120 },
    { name: 'padding', type: 'u32', offset: 140 },
    { name: 'eqe_dma', type: 'u64', offset: 144 },
    { name: 'aeqe_dma', type: 'u64' },
    { name: 'sqc_dma', type: 'u64' },
    { name: 'cqc_dma', type: 'u64', offset: 168 },
  ],
  { size: 176 },
);

/** The RFC's `QM_MATCH_SIZE`: the match data at the start of the v1 layout. */
export const QM_MATCH_SIZE_V1 = acc_vf_data_v1.offsetOfEnd('qm_rsv_state');
/** The merged driver's `QM_MATCH_SIZE` = offsetofend(struct acc_vf_data, qm_rsv_state) = 40. */
export const QM_MATCH_SIZE = acc_vf_data.offsetOfEnd('qm_rsv_state');
/** `ACC_DEV_MAGIC` (v5.18–v6.15; still accepted on resume by v6.16+). */
export const ACC_DEV_MAGIC = 0xcdcd_cdcd_feed_aaccn;
/** `ACC_DEV_MAGIC_V2` (v6.16+: the stream carries a major/minor version). */
export const ACC_DEV_MAGIC_V2 = 0xaacc_feed_deca_deden;
