/**
 * @packageDocumentation
 * The `vfio-sim` command line (`npx @vfio-sim/cli …` or the `vfio-sim` bin): `demo` (a live migration of
 * a guest with a HiSilicon accelerator VF between two simulated hosts, with its proof), `run` and
 * `check` (YAML scenarios), Perfetto traces, HTML reports and the live view. Every capability it shows
 * lives in a package a user can install — the VMM side is `@vfio-sim/vmm`, scenarios
 * `@vfio-sim/scenario`, the report `@vfio-sim/report`; this package runs and formats them, and exports
 * the same pieces for a program or a test: the program (`createProgram`, `runCli`, `main`), the demo
 * (`runDemo`, `formatDemoReport`), the JSON Schemas of its `--json` outputs and the `query-migrate`
 * view (`queryMigrate`).
 */
export { type CapturedIo, captureCliIo } from './cli/captured-io.js';
export { checkCommand } from './cli/check-command.js';
export { DEMO_FORMATS, type DemoFormat, demoCommand } from './cli/demo-command.js';
export {
  type ActionCommand,
  type ActionVerdict,
  type CliIo,
  CliUsageError,
  cliAction,
  EXIT_FAIL,
  EXIT_INTERNAL,
  EXIT_PASS,
  EXIT_USAGE,
  PROCESS_IO,
  replayCommand,
  runCli,
} from './cli/exit-codes.js';
export { type CommandExample, withExamples } from './cli/help-examples.js';
export { main } from './cli/main.js';
export { type DecimalRange, numberOption, parseDecimal } from './cli/number-option.js';
export { createProgram } from './cli/program.js';
export { runCommand, verdictOf } from './cli/run-command.js';
export { writeTraceFile } from './cli/trace-file.js';
export { CLI_VERSION } from './cli/version.js';
export {
  closeOutput,
  errnoWords,
  isStdout,
  noteWritten,
  type OpenOutputs,
  type OutputFile,
  openOutputFile,
  openOutputs,
  STDOUT_PATH,
  writeAndClose,
} from './cli/write-file.js';
export {
  DEMO_REPORT_SCHEMA_VERSION,
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
export { demoReportSchema } from './json/demo-report-schema.js';
export { CLI_JSON_SCHEMAS, type CliJsonSchemaPath, cliJsonSchemaText } from './json/json-schemas.js';
export { RUN_REPORT_SCHEMA_VERSION, runReportSchema } from './json/run-report-schema.js';
export { type LayerStatus, layerStatus } from './layers.js';
export {
  formatQueryMigrate,
  type QmpMigrationInfo,
  type QmpMigrationStats,
  queryMigrate,
} from './qmp/query-migrate.js';
