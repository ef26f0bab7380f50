import type { ChromeTrace } from '@vfio-sim/platform';
import {
  type DeviceMigrationReport,
  MIGRATION_PHASES,
  type MigrationPhaseName,
  type MigrationProtocol,
  type RamRound,
} from '@vfio-sim/vmm';

/** The version tag of {@link ReportModel}; a renderer refuses a model of another version. */
export const REPORT_MODEL_FORMAT = 'vfio-sim-report/1';

/** Which host a piece of the timeline belongs to. */
export type HostSide = 'source' | 'destination';

/**
 * What a bar of the timeline is: the guest's VM on a host, a migration phase, a RAM round, a device's
 * migration state, or an injected fault (armed until cleared).
 */
export type IntervalKind = 'vm' | 'phase' | 'ram-round' | 'device-state' | 'fault';

/** One bar of the timeline: something that held on one lane from `startUs` to `endUs` (virtual time). */
export interface TimelineInterval {
  /** The lane's label (e.g. `source · VM`, `destination · 0000:75:00.1`); one of {@link ReportModel.lanes}. */
  readonly lane: string;
  readonly side: HostSide;
  readonly kind: IntervalKind;
  /**
   * What held: the VM's `running` / `stopped` / `incoming`, the phase's name, the device state's uAPI
   * name (v1 `pre-copy`, v2 `PRE_COPY`, …), `RAM round 2`, the fault's kind.
   */
  readonly label: string;
  /** The colour group (a device state's v2 name, a phase, `running` …). */
  readonly category: TimelineCategory;
  readonly startUs: number;
  readonly endUs: number;
  /** More words for the bar's tooltip (the client step that read a state, the bytes of a phase). */
  readonly detail: string;
}

/** What a point mark of the timeline is. */
export type MarkKind = 'fault-hit' | 'error' | 'switchover';

/** A point of the timeline: a fault taking effect, the errno that ended the migration, the switch-over approval. */
export interface TimelineMark {
  readonly lane: string;
  readonly side: HostSide;
  readonly kind: MarkKind;
  /** Short text drawn beside the mark (`EIO`, `hit mb-error`, `switch-over approved`). */
  readonly label: string;
  readonly atUs: number;
  readonly detail: string;
}

/**
 * A colour group of the timeline: the VM's three conditions, the migration phases (and a failed one),
 * the RAM rounds, the device states (by their v2 names; v1's `pre-copy` is `PRE_COPY` …) and faults.
 */
export type TimelineCategory =
  | 'running'
  | 'stopped'
  | 'incoming'
  | MigrationPhaseName
  | 'failed phase'
  | 'RAM round'
  | 'RAM final round'
  | 'RUNNING'
  | 'PRE_COPY'
  | 'STOP_COPY'
  | 'STOP'
  | 'RESUMING'
  | 'ERROR'
  | 'fault';

/** The timeline's colour groups in legend order. */
export const TIMELINE_CATEGORIES: readonly TimelineCategory[] = [
  'running',
  'stopped',
  'incoming',
  ...MIGRATION_PHASES,
  'failed phase',
  'RAM round',
  'RAM final round',
  'RUNNING',
  'PRE_COPY',
  'STOP_COPY',
  'STOP',
  'RESUMING',
  'ERROR',
  'fault',
];

/** The window in which the guest was stopped: its VM stopped on the source → running on the destination. */
export interface DowntimeWindow {
  readonly startUs: number;
  readonly endUs: number;
  readonly us: number;
}

/** One run in the downtime comparison: this run, or another of the same guest. */
export interface DowntimeRun {
  /** e.g. `v1, RAM pre-copy (this run)`. */
  readonly label: string;
  readonly protocol: MigrationProtocol;
  readonly ramMode: 'precopy' | 'stop-and-copy';
  readonly result: 'PASS' | 'FAIL';
  readonly thisRun: boolean;
  /** Null when that run never switched over (it aborted). */
  readonly downtimeUs: number | null;
  readonly totalUs: number | null;
  /** The phases inside the downtime (stop … resume) and their virtual time; they add up to `downtimeUs`. */
  readonly downtimePhases: readonly { readonly name: MigrationPhaseName; readonly us: number }[];
}

/** One vfio section the source put on the migration stream. */
export interface StreamSection {
  /** 1-based, in stream order. */
  readonly index: number;
  /** The source device's PCI name. */
  readonly device: string;
  /** The phase it went out in. */
  readonly phase: MigrationPhaseName;
  readonly atUs: number;
  /** Device-state bytes (the DATA payloads). */
  readonly deviceBytes: number;
  /** The section's bytes on the stream (device state plus QEMU's framing). */
  readonly sectionBytes: number;
}

/** One device's part in the stream. */
export interface StreamDevice extends Omit<DeviceMigrationReport, 'sourceStates' | 'destinationStates'> {
  /** The states walked on each side, consecutive repeats collapsed. */
  readonly sourceStates: readonly string[];
  readonly destinationStates: readonly string[];
}

/** Where a job completed, that it never did, or (in a model cut at a time: `reportAt`) that it has not yet. */
export type JobFate = 'source' | 'destination' | 'lost' | 'pending';

/** One guest job from submission to completion. */
export interface JobSpan {
  /** The guest driver that ran it (e.g. `vf0 driver`) and its job id there. */
  readonly driver: string;
  readonly jobId: number;
  readonly submittedUs: number;
  readonly submittedOn: HostSide;
  /** Null when it never completed. */
  readonly completedUs: number | null;
  readonly fate: JobFate;
  /** Submitted before the source vCPUs stopped and not completed by then. */
  readonly inFlightAtStop: boolean;
}

/** A job the proof does not accept, and why. */
export interface JobLoss {
  readonly jobId: number;
  readonly kind: 'lost' | 'duplicated' | 'corrupt' | 'unknown';
  readonly cause: string;
}

/** The jobs: the exactly-once tally and each job's life. */
export interface JobsView {
  readonly submitted: number;
  readonly submittedOnSource: number;
  readonly submittedOnDestination: number;
  readonly submittedDuringMigration: number;
  /** Null when the source vCPUs never stopped. */
  readonly inFlightAtStop: number | null;
  readonly completedOnSource: number;
  readonly completedOnDestination: number;
  readonly verified: number;
  readonly spans: readonly JobSpan[];
  readonly losses: readonly JobLoss[];
}

/** How guest RAM moved (null fields when the migration never got that far). */
export interface RamView {
  readonly mode: 'precopy' | 'stop-and-copy';
  readonly iommuFormat: string;
  readonly downtimeLimitUs: number;
  readonly maxRounds: number;
  readonly converged: boolean;
  /** The pre-copy rounds, then the one while stopped (empty when RAM was copied whole). */
  readonly rounds: readonly RamRound[];
  readonly precopyBytes: number;
  readonly stoppedBytes: number;
  readonly pagesCompared: number;
  readonly mismatchedPages: number;
}

/** The migration's failing step, placed on the timeline. */
export interface ReportError {
  readonly errno: string;
  readonly message: string;
  readonly phase: MigrationPhaseName;
  readonly atUs: number;
}

/**
 * Everything the HTML report and the live view show about one live migration: plain JSON, a pure
 * function of the run (same seed, same model, byte for byte). Build it with `buildReportModel`; render
 * it with `renderReportHtml`; look at it at a virtual time with `reportAt`.
 */
export interface ReportModel {
  readonly format: typeof REPORT_MODEL_FORMAT;
  /**
   * Null for the whole run; else the virtual time (µs) the model was cut at (`reportAt`, the live view):
   * only what happened until then is in it, and the verdict is not known yet.
   */
  readonly at: number | null;
  readonly title: string;
  /** Lines under the title: what ran. */
  readonly description: readonly string[];
  readonly result: 'PASS' | 'FAIL';
  readonly failures: readonly string[];
  readonly outcome: 'migrated' | 'aborted';
  readonly protocol: MigrationProtocol;
  readonly hosts: { readonly source: string; readonly destination: string };
  /** The timeline's x domain: the first to the last event of the run (µs of virtual time). */
  readonly span: { readonly startUs: number; readonly endUs: number };
  /** From the migration's start to its end (the last phase, or the failure). */
  readonly migration: { readonly startUs: number; readonly endUs: number };
  readonly downtime: DowntimeWindow | null;
  /** The timeline's lanes, top to bottom. */
  readonly lanes: readonly string[];
  readonly intervals: readonly TimelineInterval[];
  readonly marks: readonly TimelineMark[];
  readonly ram: RamView | null;
  readonly runs: readonly DowntimeRun[];
  readonly stream: { readonly devices: readonly StreamDevice[]; readonly sections: readonly StreamSection[] };
  readonly jobs: JobsView;
  readonly faults: readonly {
    readonly kind: string;
    readonly side: HostSide;
    readonly target: 'vf' | 'pf';
    readonly function: string;
    readonly phase: MigrationPhaseName;
    readonly injectedUs: number;
    readonly clearedUs: number | null;
  }[];
  readonly error: ReportError | null;
  /** The proof in words: what held (PASS) or what did not (the failures). */
  readonly proof: {
    readonly jobsVerified: number;
    readonly jobsSubmitted: number;
    readonly ramPagesCompared: number | null;
    readonly ramIdentical: boolean | null;
    readonly statement: string;
  };
  /** The same run as a Chrome Trace Event / Perfetto JSON (what `--trace` writes). */
  readonly trace: ChromeTrace;
}

/**
 * What a page draws of a {@link ReportModel}: everything but the trace (a page embeds the trace on its
 * own, and a page of several migrations of one scenario embeds it once).
 */
export type ReportView = Omit<ReportModel, 'trace'>;
