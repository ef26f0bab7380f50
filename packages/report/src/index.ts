/**
 * @packageDocumentation
 * Look at a vfio-sim live migration: a report model built from vmm's `MigrateReport` and the run's
 * trace (`buildReportModel`), rendered as one self-contained HTML page with Observable Plot charts
 * (`renderReportHtml`), and a live view that plays the run in the browser over Server-Sent Events
 * (`startLiveServer`). Everything is a pure function of the run except the live server's pacing.
 */

export { livePageHtml } from './live/live-page.js';
export { startLiveServer } from './live/live-server.js';
export type { LiveServer, LiveServerOptions } from './live/live-server-types.js';
export {
  FRAME_INTERVAL_MS,
  LIVE_US_PER_SECOND,
  MAX_SPEED,
  MIN_SPEED,
  parseSpeed,
  playbackAt,
  SPEED_CHOICES,
} from './live/playback.js';
export { buildReportModel } from './model/build-report-model.js';
export { reportAt } from './model/report-at.js';
export type { ComparisonRun, ReportInput } from './model/report-input.js';
export {
  type DowntimeRun,
  type DowntimeWindow,
  type HostSide,
  type IntervalKind,
  type JobFate,
  type JobLoss,
  type JobSpan,
  type JobsView,
  type MarkKind,
  type RamView,
  REPORT_MODEL_FORMAT,
  type ReportError,
  type ReportModel,
  type ReportView,
  type StreamDevice,
  type StreamSection,
  TIMELINE_CATEGORIES,
  type TimelineCategory,
  type TimelineInterval,
  type TimelineMark,
} from './model/report-model.js';
export { walkedStates } from './model/stream.js';
export type { RunTrace } from './model/trace-index.js';
export { renderReportHtml } from './render/report-page.js';
export { type ReportSection, reportSections } from './render/report-sections.js';
export {
  migrationId,
  type RunReportInput,
  type RunReportMigration,
  type RunReportScenario,
  renderRunReportHtml,
} from './render/run-report-page.js';
