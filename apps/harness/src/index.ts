/**
 * @packageDocumentation
 * The vfio-sim harness: end-to-end scenarios over the whole stack, and the `vfio-sim` CLI. Its modules
 * are meant to be reused by the scenarios that come next: hosts, the guest (VM, VF passthrough,
 * workload) and the migration driven by QEMU's client.
 */
export { type DemoOptions, type DemoReport, formatDemoReport, type RamMode, runDemo } from './demo/demo.js';
export {
  DEMO_GUEST_RAM,
  DEMO_STREAM_JOBS,
  DEMO_STREAM_PERIOD_US,
  DESTINATION_JOBS,
  MAX_DEMO_JOBS,
  type MigrationDemoOptions,
  type MigrationDemoResult,
  runMigrationDemo,
} from './demo/migration-demo.js';
export { CpuDirtyLog } from './dirty/cpu-dirty-log.js';
export { DeviceDmaPort } from './dirty/device-dma-port.js';
export { DirtySync, type DirtySyncOptions, type DirtySyncResult } from './dirty/dirty-sync.js';
export { PageBitmap } from './dirty/page-bitmap.js';
export { ACCEL_KINDS, accelJobs, createAccelWorkload } from './guest/accel-workload.js';
export { type GuestRamDmaMap, mapGuestRamForDma } from './guest/guest-ram-dma-map.js';
export { hpreJobs } from './guest/hpre-jobs.js';
export { type JobStream, type JobStreamOptions, startJobStream } from './guest/job-stream.js';
export { type SecJobsOptions, secJobs } from './guest/sec-jobs.js';
export {
  attachVf,
  guestVfDriverOptions,
  probeGuestVfDriver,
  resumeGuestVfDriver,
  VF_BAR2_GUEST_SIZE,
  type VfPassthrough,
} from './guest/vf-passthrough.js';
export { type VcpuState, Vm, type VmOptions } from './guest/vm.js';
export { type Side, Workload, type WorkloadJobs, type WorkloadTally } from './guest/workload.js';
export { type ZipJobsOptions, zipDeflateJobs } from './guest/zip-jobs.js';
export { ZipWorkload, type ZipWorkloadOptions } from './guest/zip-workload.js';
export { createHost, type Host, type HostOptions, QM_PF_PCI_NAME } from './host/host.js';
export { DEFAULT_IOMMU_FORMAT, type HostIommu, IOMMU_FORMATS, openHostIommu } from './host/host-iommu.js';
export { type LayerStatus, layerStatus } from './layers.js';
export { compareGuestMemory, type GuestMemoryComparison } from './migration/guest-memory-compare.js';
export { copyGuestMemory, type GuestMemoryCopy } from './migration/guest-memory-copy.js';
export { LINK_10GBIT_BYTES_PER_US, MigrationLink } from './migration/link.js';
export type { LiveMigrationOptions } from './migration/live-migration-options.js';
export {
  type LiveMigrationV1Options,
  type LiveMigrationV1Report,
  type LiveMigrationV1Result,
  liveMigrateV1,
} from './migration/live-migration-v1.js';
export {
  type LiveMigrationV2Options,
  type LiveMigrationV2Report,
  type LiveMigrationV2Result,
  liveMigrateV2,
} from './migration/live-migration-v2.js';
export { MigrationPhases } from './migration/migration-phases.js';
export type {
  DeviceStateStep,
  LiveMigrationReport,
  LiveMigrationResult,
  MigrationPhase,
  MigrationPhaseName,
  RamMigrationReport,
} from './migration/migration-report.js';
export { sendRamPages } from './migration/ram-pages.js';
export {
  checkRamPrecopyOptions,
  RAM_DOWNTIME_LIMIT_US,
  RAM_MAX_ROUNDS,
  RamPrecopy,
  type RamPrecopyOptions,
  type RamRound,
} from './migration/ram-precopy.js';
export { findV1MigrationRegion, openQemuV1Client } from './migration/v1-region.js';
export { type OpenQemuV2ClientOptions, openQemuV2Client } from './migration/v2-client.js';
