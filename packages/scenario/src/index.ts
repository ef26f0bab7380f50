/**
 * @packageDocumentation
 * vfio-sim scenarios: YAML files of uAPI steps (the device fd, data fds, the v1 region, iommufd, DMA
 * logging, faults) and VM steps (boot, workload, time, live migration with faults), each with what it must
 * do — checked by a published JSON Schema, run against the model, and reported with the file:line of
 * every unmet expectation (text, JSON, JUnit XML). Start with {@link runScenarios} or {@link loadScenario}
 * + {@link runPlan}.
 *
 * The layers, one concept per folder: parse/ (yaml with positions) → schema/ + validate/ (zod) → plan/
 * (references, defaults, expectations) → execute/ (the model's system calls and VMM) → compare/ (want
 * against got) → report/ (text, JSON, JUnit).
 */
export { compareStep, hex, type Mismatch, runs } from './compare/compare-step.js';
export { DeviceFingerprint } from './execute/device-fingerprint.js';
export { ScenarioExecutor } from './execute/executor.js';
export { HostFingerprint } from './execute/host-fingerprint.js';
export type { Observation } from './execute/observation.js';
export { deviceSnapshot, snapshot, snapshotDiff } from './execute/snapshot.js';
export {
  type DeviceEntry,
  type ObservedMigration,
  type ScenarioHosts,
  ScenarioWorld,
  type VmmProcess,
} from './execute/world.js';
export { parseScenarioSource, positionOf, type ScenarioSource } from './parse/scenario-source.js';
export type {
  Action,
  Corruption,
  DeviceRef,
  Expectation,
  ExpectedJobs,
  ExpectField,
  Plan,
  PlannedHost,
  PlannedStep,
  RegionRef,
  StepArgs,
} from './plan/plan.js';
export { planDocument } from './plan/plan-document.js';
export { OBSERVABLE } from './plan/plan-expectation.js';
export { DEFAULT_SCENARIO_RAM, planScenario } from './plan/plan-scenario.js';
export { formatJsonReport, type JsonRunReport, jsonReport } from './report/json-report.js';
export { formatJUnitReport } from './report/junit-report.js';
export { formatResult, formatSummaryLine, formatTextReport } from './report/text-report.js';
export { loadScenario } from './run/load-scenario.js';
export { invalidResult, type RunOptions, runPlan } from './run/run-scenario.js';
export { checkScenarios, type RunScenariosOptions, runScenarios } from './run/run-scenarios.js';
export { SCENARIO_FILE, scenarioFiles } from './run/scenario-files.js';
export type { ScenarioMigration } from './run/scenario-migration.js';
export { type RunSummary, type ScenarioResult, type StepFailure, summarize } from './run/scenario-result.js';
export { SCENARIO_SCHEMA_PATH, scenarioJsonSchema, scenarioJsonSchemaText } from './schema/json-schema.js';
export { type ScenarioDocument, scenarioSchema } from './schema/scenario.js';
export { ACTION_NAMES, ACTIONS, type ActionName } from './schema/steps.js';
export { formatScenarioError, type ScenarioError, type SourcePosition } from './validate/scenario-error.js';
export { validateScenario } from './validate/validate-scenario.js';
export { type FormatScenarioOptions, formatScenario } from './write/format-scenario.js';
