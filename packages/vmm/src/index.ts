/**
 * @packageDocumentation
 * The VMM side of vfio-sim — QEMU's role: hosts prepared for passthrough, VMs with devices passed
 * through on the iommufd backend, guest workloads with exactly-once accounting, live migration over the
 * v1 region or the v2 state machine with RAM pre-copy under IOMMU + CPU dirty tracking, faults armed
 * at any phase, and a typed report carrying the proof. Start with {@link Simulation} and {@link migrate}.
 */

// devices/: passthrough on the iommufd backend, and the device models.
export type { AssignableDevice, AssignableDma } from './devices/assignable-device.js';
export { DeviceDmaPort } from './devices/device-dma-port.js';
export type { DeviceModel } from './devices/device-model.js';
export {
  EmulatedPciConfig,
  type GuestInterrupts,
  type InterruptSetup,
  VFIO_INT_INTx,
  VFIO_INT_MSI,
  VFIO_INT_MSIX,
  VFIO_INT_NONE,
} from './devices/emulated-pci-config.js';
export {
  GUEST_VF_DRIVER_RAM,
  guestVfDriverOptions,
  HISI_ACC_VF_MODEL,
  hisiAccVfModel,
  VF_BAR2_GUEST_SIZE,
} from './devices/hisi-acc-vf.js';
export { IommufdBackend, type VmHwpt } from './devices/iommufd-backend.js';
export { MTTY_MODEL, mttyModel } from './devices/mtty.js';
export { realizeVfioPci, VfioPciDevice } from './devices/vfio-pci-device.js';
export { hisiAccVfioPciDriverStyled, type VfioOpsStyle } from './host/hisi-acc-ops-style.js';
// host/: a machine prepared for passthrough.
export { createHost, type DeviceProvider, Host, type HostOptions, type HostPlatform } from './host/host.js';
export { DEFAULT_IOMMU_FORMAT, IOMMU_FORMATS } from './host/host-iommu.js';
export { type MttyDevicesOptions, mttyDevices, mttyUuid } from './host/mtty-devices.js';
export {
  installQmAccelerator,
  QM_PF_PCI_NAME,
  type QmAccelerator,
  type QmAcceleratorOptions,
} from './host/qm-accelerator.js';
// link/ and migration/: the stream, QEMU's migration, RAM, dirty sync, the vfio clients.
export {
  LINK_10GBIT_BYTES_PER_US,
  type LinkReport,
  MigrationLink,
  type MigrationLinkOptions,
} from './link/link.js';
export { checkLinkFaults, type LinkFault, type LinkFaultRecord } from './link/link-fault.js';
export { crc32c, frameSection, LINK_SECTION_HEADER_SIZE, unframeSection } from './link/link-section.js';
export { devicePairs, GuestMigration, type StoppedGuestCopy } from './migration/guest-migration.js';
export type { LiveMigrationOptions } from './migration/live-migration-options.js';
export {
  type LiveMigrationV1Options,
  type LiveMigrationV1Report,
  type LiveMigrationV1Result,
  liveMigrateV1,
} from './migration/live-migration-v1.js';
export {
  checkMultipleDevices,
  type LiveMigrationV2Options,
  type LiveMigrationV2Report,
  type LiveMigrationV2Result,
  liveMigrateV2,
} from './migration/live-migration-v2.js';
export { MigrationPhases } from './migration/migration-phases.js';
export {
  DIRTY_READ_WINDOW,
  DirtySync,
  type DirtySyncOptions,
  type DirtySyncResult,
} from './migration/ram/dirty-sync.js';
export { compareGuestMemory, type GuestMemoryComparison } from './migration/ram/guest-memory-compare.js';
export { copyGuestMemory, type GuestMemoryCopy } from './migration/ram/guest-memory-copy.js';
export { sendRamPages } from './migration/ram/ram-pages.js';
export {
  checkRamPrecopyOptions,
  RAM_DOWNTIME_LIMIT_US,
  RAM_MAX_ROUNDS,
  RamPrecopy,
  type RamPrecopyOptions,
  type RamRound,
  ramPrecopyLimits,
} from './migration/ram/ram-precopy.js';
export { findV1MigrationRegion, openQemuV1Client } from './migration/vfio/v1-region.js';
export { type OpenQemuV2ClientOptions, openQemuV2Client } from './migration/vfio/v2-client.js';
export {
  sumSectionTotals,
  VfioSectionStats,
  type VfioSectionTotals,
} from './migration/vfio/vfio-section-stats.js';
// report/: the typed report.
export type {
  DeviceMigrationReport,
  DeviceStateStep,
  LiveMigrationReport,
  LiveMigrationResult,
  MigrationPhase,
  MigrationPhaseName,
  RamMigrationReport,
} from './report/migration-report.js';
// The facade: a simulation, its hosts and guests, and migrate().
export {
  type ByteFlipCampaignOptions,
  type ByteFlipFigures,
  runByteFlipCampaign,
} from './simulation/byte-flip-campaign.js';
export {
  type FaultMatrixCell,
  type FaultMatrixResult,
  type FaultMatrixSummary,
  faultMatrixCellName,
  faultMatrixCells,
  MATRIX_LINK_FAULTS,
  MATRIX_QM_FAULTS,
  runFaultMatrixCell,
  summarizeFaultMatrix,
} from './simulation/fault-matrix.js';
export { FaultPlan, type FaultRecord, type FaultSpec, MIGRATION_PHASES } from './simulation/fault-plan.js';
export {
  Guest,
  type GuestDeviceErrorRecord,
  type GuestOptions,
  mergeTallies,
  type UartPortTally,
  type WorkloadOptions,
} from './simulation/guest.js';
export { assignGuestBars, VIRT_PCIE_MMIO_BASE, VIRT_PCIE_MMIO_SIZE } from './simulation/guest-firmware.js';
export {
  MIGRATION_PROTOCOLS,
  type MigrateOptions,
  type MigrateReport,
  type MigrationError,
  type MigrationProtocol,
  migrate,
} from './simulation/migrate.js';
export { type MigrationProof, migrationProof, proofFailures, type RamProof } from './simulation/proof.js';
export { Simulation, type SimulationHostOptions, type SimulationOptions } from './simulation/simulation.js';
export {
  type MigrateVerdict,
  type MigrateVerdictKind,
  migrateVerdict,
  type VerdictInput,
} from './simulation/verdict.js';
export { verdictProblems } from './simulation/verdict-proof.js';
// vm/: one QEMU/KVM instance.
export { CpuDirtyLog } from './vm/cpu-dirty-log.js';
export { PAGE_BITMAP_CHUNK_PAGES, PageBitmap } from './vm/page-bitmap.js';
export { type PendingIrq, type VcpuState, Vm, type VmOptions } from './vm/vm.js';
// workload/: guest jobs and their proof.
export { ACCEL_KINDS, accelJobs, createAccelWorkload } from './workload/accel-workload.js';
export { hpreJobs } from './workload/hpre-jobs.js';
export {
  completionStatusCause,
  hardwareErrorCause,
  type JobLoss,
  type JobLossCause,
  type JobLossKind,
  UPSTREAM_HOST_RESET,
  UPSTREAM_HW_ERROR,
  UPSTREAM_NOT_STARTED,
  UPSTREAM_VCPUS_AFTER_DEVICES,
  UPSTREAM_VMM_RESET,
} from './workload/job-loss.js';
export { type JobStream, type JobStreamOptions, startJobStream } from './workload/job-stream.js';
export {
  MemoryToucher,
  type MemoryToucherOptions,
  startTouchStream,
  type TouchStream,
  type TouchStreamOptions,
} from './workload/memory-toucher.js';
export { PLANTED_BUGS, type PlantedBug, plantBug, plantedBug } from './workload/planted-bug.js';
export { type SecJobsOptions, secJobs } from './workload/sec-jobs.js';
export { startUartStream, type UartStream, type UartStreamOptions } from './workload/uart-stream.js';
export { type Side, Workload, type WorkloadJobs, type WorkloadTally } from './workload/workload.js';
export { type ZipJobsOptions, zipDeflateJobs } from './workload/zip-jobs.js';
export { ZipWorkload, type ZipWorkloadOptions } from './workload/zip-workload.js';
