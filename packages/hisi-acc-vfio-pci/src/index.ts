/**
 * @packageDocumentation
 * The hisi-acc-vfio-pci variant driver (drivers/vfio/pci/hisilicon/): probe through driver_override,
 * the BAR2 split on every path, the VF state save/restore (`struct acc_vf_data`, RFC and merged
 * layouts), the compatibility checks on resume, and migration over both protocols: the v1 region and
 * v2 (`mig_ops` with STOP_COPY | PRE_COPY, data fds). Also the PF-side
 * glue a host needs: the accelerator PF driver as a PCI driver and the board wiring of a QM device.
 */
export {
  hisiAccPciRwAccessCheck,
  hisiAccVfioPciIoctl,
  hisiAccVfioPciMmap,
  hisiAccVfioPciRead,
  hisiAccVfioPciWrite,
} from './bar2/bar2-split.js';
export { HisiAccVfCoreDevice } from './core/hisi-acc-vf-core-device.js';
export { VfBar2Window } from './core/vf-bar2-window.js';
export {
  HISI_ACC_VFIO_PCI,
  HISI_ACC_VFIO_PCI_MIGRN_OPS,
  HISI_ACC_VFIO_PCI_OPS,
  HISI_ACC_VFIO_PCI_TABLE,
  hisiAccGetPfQm,
  hisiAccVfioPciDriver,
} from './driver/hisi-acc-vfio-pci.js';
export { HISI_ACC_V1_ARCS, HisiAccMigrationV1 } from './migration-v1/hisi-acc-v1-migration.js';
export { hisiAccV1RegionInit } from './migration-v1/hisi-acc-v1-region.js';
export {
  HISI_ACC_MIGRATION_FLAGS,
  HISI_ACC_V2_ARCS,
  HISI_ACC_VF_MIG,
  HISI_ACC_VFIO_PCI_MIGRN_STATE_OPS,
  hisiAccVfDisableFds,
  hisiAccVfReset,
  hisiAccVfSetDeviceState,
} from './migration-v2/hisi-acc-v2-migration.js';
export {
  HISI_QM_PF_DRIVER_NAME,
  HISI_QM_PF_PCI_DRIVERS,
  type HisiQmPfDrvdata,
  hisiQmPfPciDriver,
} from './pf/hisi-qm-pf-driver.js';
export {
  type QmPciBoardOptions,
  type QmPciBoardSlot,
  qmBoardSlotOf,
  qmPciBoardAttach,
  qmPciFunctionDesc,
} from './pf/qm-pci-board.js';
export {
  ACC_DEV_MAGIC,
  ACC_DEV_MAGIC_V2,
  acc_vf_data,
  acc_vf_data_v1,
  QM_MATCH_SIZE,
  QM_MATCH_SIZE_V1,
} from './state/acc-vf-data.js';
export {
  ACC_DRV_MAJOR_VER,
  ACC_DRV_MINOR_VER,
  type AccVfDataHeader,
  type AccVfMatch,
  type AccVfRegs,
  type AccVfState,
  decodeAccVfData,
  decodeAccVfDataHeader,
  decodeAccVfDataV1,
  encodeAccVfData,
  encodeAccVfDataV1,
  xqcDmaAddr,
} from './state/acc-vf-state.js';
export { vfQmCheckMatch } from './state/check-match.js';
export { vfQmLoadData } from './state/load-data.js';
export { vfQmGetMatchData } from './state/match-data.js';
export { hisiAccVfStartDevice, qmDevCmdInit } from './state/start-device.js';
export { vfQmStateSave } from './state/state-save.js';
export { hisiAccVfStopDevice } from './state/stop-device.js';
export { hisiAccVfStopOrRestart } from './state/stop-or-restart.js';
