/**
 * @packageDocumentation
 * The hisi-acc-vfio-pci variant driver model (drivers/vfio/pci/hisilicon/). Built so far: the
 * `struct acc_vf_data` layouts of the RFC (v1 region) and of the merged driver (v2 stream).
 */
export {
  ACC_DEV_MAGIC,
  ACC_DEV_MAGIC_V2,
  acc_vf_data,
  acc_vf_data_v1,
  QM_MATCH_SIZE,
  QM_MATCH_SIZE_V1,
} from './state/acc-vf-data.js';
