/**
 * @packageDocumentation
 * vfio-sim campaigns: randomized live migrations and hostile uAPI cases, each generated from (campaign
 * seed, case index) alone, run on every core and judged by the invariants — no job lost silently, RAM
 * identical at the switch-over, every verdict proven, every failure a KernelError that leaves the
 * device as it was (or in ERROR), QEMU's multiple-devices blocker, determinism. A failing case is shrunk
 * and written as a scenario file (`@vfio-sim/scenario`) that reproduces it; shards split a campaign
 * over any cluster and merge back. Start with {@link runCampaign}, {@link judgeCase} or
 * {@link shrinkCase}.
 */
export {
  type CampaignHeader,
  formatHeader,
  formatResultLine,
  mergeResults,
  parseResults,
  type ResultsFile,
} from './campaign/results-file.js';
export {
  type CampaignOptions,
  type CampaignProgress,
  type CampaignRun,
  runCampaign,
} from './campaign/run-campaign.js';
export {
  formatShard,
  inShard,
  nextInShard,
  parseShard,
  type Shard,
  shardFromCompletionIndex,
  WHOLE,
} from './campaign/shard.js';
export {
  type CampaignFailure,
  type CampaignSummary,
  CampaignTally,
  formatSummary,
  type PlannedCases,
  summarizeResults,
} from './campaign/summary.js';
export {
  type CampaignCase,
  type CaseBase,
  type CaseFault,
  caseDevices,
  expectsMultipleDevicesBlocker,
  type HostileStep,
  type MigrationCase,
  type UapiCase,
} from './case/campaign-case.js';
export {
  caseArbitrary,
  migrationCaseArbitrary,
  normalizeHostile,
  normalizeMigrationCase,
  uapiCaseArbitrary,
} from './case/case-arbitrary.js';
export {
  type CaseStep,
  type CaseSteps,
  caseSteps,
  guestMemory,
  HOST_VFS,
  type ScenarioStep,
  type StepRole,
} from './case/case-steps.js';
export { caseSeed, checkSeedIndex, generateCase, generateCaseValue } from './case/generate-case.js';
export { INVARIANTS, type InvariantName, type Violation } from './judge/invariants.js';
export {
  type CaseResult,
  describeCase,
  type JudgeCaseOptions,
  judgeCase,
  judgeGivenCase,
} from './judge/judge-case.js';
export {
  type CaseMigration,
  type CaseRun,
  type RunCaseOptions,
  runCase,
  type StepObservation,
} from './judge/run-case.js';
export { type CaseBatch, runCaseBatch } from './pool/case-batch.js';
export { type CasePool, createCasePool, defaultWorkers } from './pool/case-pool.js';
export {
  type FailureScenario,
  failureScenario,
  type Reproduction,
  reproduce,
} from './shrink/failure-scenario.js';
export { type ShrinkOptions, type ShrinkResult, shrinkCase } from './shrink/shrink-case.js';
