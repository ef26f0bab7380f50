/**
 * @packageDocumentation
 * The vfio-sim harness: the `vfio-sim` CLI and the demo's summary. Every capability it shows lives in
 * a package a user can install — the VMM side (hosts, guests, migration, the proof) is
 * `@vfio-sim/vmm`; this app only runs and formats it.
 */
export {
  type DemoOptions,
  type DemoReport,
  type DemoRuns,
  demoTitle,
  formatDemoReport,
  type RamMode,
  runDemo,
  runDemoRuns,
  summarizeDemo,
} from './demo/demo.js';
export { demoReportInput, demoTraceInfo } from './demo/demo-report-input.js';
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
export { type LayerStatus, layerStatus } from './layers.js';
