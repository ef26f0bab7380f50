import type { MigrateReport } from '@vfio-sim/vmm';
import type { RunTrace } from './trace-index.js';

/** Another run of the same guest, for the downtime comparison (e.g. RAM copied whole, the other protocol). */
export interface ComparisonRun {
  /** How the page names it, e.g. `v1, RAM copied whole while stopped`. */
  readonly label: string;
  readonly report: MigrateReport;
}

/**
 * What `buildReportModel` needs of a run: vmm's report of the migration and the trace of the same
 * simulation (a `MemoryTraceSink` passed to `new Simulation({ traceSink })`), plus words and the runs
 * to compare with.
 */
export interface ReportInput {
  /** The page's heading, e.g. `vfio-sim demo (seed 1): v1 live migration of a guest using a HiSilicon ZIP VF`. */
  readonly title: string;
  /** Lines under the heading: what ran (hosts, IOMMU, link …). */
  readonly description?: readonly string[];
  /** The migration, as `migrate()` reported it. */
  readonly migration: MigrateReport;
  /** The events of the same simulation: `{ events: sink.events, tracks: sink.namedTracks() }`. */
  readonly trace: RunTrace;
  /** This run's label in the downtime comparison (default: protocol and RAM mode). */
  readonly label?: string;
  /** Other runs of the same guest to compare the downtime with. */
  readonly comparisons?: readonly ComparisonRun[];
  /**
   * The verdict when the caller checks more than `migrate()` does (the demo: its comparison runs and
   * the jobs submitted on the destination); default the migration's own `result` and `failures`.
   */
  readonly verdict?: { readonly result: 'PASS' | 'FAIL'; readonly failures: readonly string[] };
  /** Metadata for the embedded Perfetto trace (`otherData`: seed, tool …). */
  readonly traceInfo?: Readonly<Record<string, string | number | boolean>>;
  /** The guest's process name in the trace (default: the one process with a `vCPUs` thread). */
  readonly guest?: string;
}
