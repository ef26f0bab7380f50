import type { MigrateReport } from '@vfio-sim/vmm';
import type { MigrationWindow } from './migration-window.js';
import type { HostSide, JobLoss, JobSpan, JobsView } from './report-model.js';
import type { TraceIndex } from './trace-index.js';

/** One job as the guest driver's trace shows it. */
interface JobTrace {
  readonly driver: string;
  readonly jobId: number;
  readonly submittedUs: number;
  readonly submittedSeq: number;
  readonly completions: { readonly us: number; readonly seq: number; readonly status: number }[];
}

/**
 * Every guest job from the guest drivers' `submit` / `complete` instants (a thread `… driver` of the
 * guest's process): when it was submitted and completed, on which side (after the switch-over's
 * `vm_start` the guest runs on the destination), whether it was in flight when the source vCPUs
 * stopped, and — for each job the proof rejects — the cause in words. The counts are the proof's tally.
 */
export function buildJobs(
  index: TraceIndex,
  report: MigrateReport,
  window: MigrationWindow,
  guest: string,
): JobsView {
  const switchSeq = report.migration !== null ? (window.restart?.seq ?? Number.POSITIVE_INFINITY) : Infinity;
  const side = (seq: number): HostSide => (seq > switchSeq ? 'destination' : 'source');
  const stopSeq = window.stop?.seq ?? null;
  const jobs: JobTrace[] = [];
  for (const driver of index.threads(guest, / driver$/)) {
    const byId = new Map<number, JobTrace>();
    for (const e of index.instants(guest, driver, 'guest')) {
      const jobId = Number(e.args?.jobId);
      if (e.name === 'submit') {
        const job = { driver, jobId, submittedUs: e.ts, submittedSeq: e.seq, completions: [] };
        byId.set(jobId, job);
        jobs.push(job);
      } else if (e.name === 'complete') {
        byId.get(jobId)?.completions.push({ us: e.ts, seq: e.seq, status: Number(e.args?.status ?? 0) });
      }
    }
  }
  const spans: JobSpan[] = jobs.map((j) => {
    const first = j.completions[0];
    return {
      driver: j.driver,
      jobId: j.jobId,
      submittedUs: j.submittedUs,
      submittedOn: side(j.submittedSeq),
      completedUs: first?.us ?? null,
      fate: first === undefined ? 'lost' : side(first.seq),
      inFlightAtStop:
        stopSeq !== null && j.submittedSeq < stopSeq && (first === undefined || first.seq > stopSeq),
    };
  });
  const t = report.proof.jobs;
  const find = (id: number) => jobs.find((j) => j.jobId === id);
  const at = (us: number, seq: number) => `${us} µs on the ${side(seq)}`;
  const abort =
    report.error !== null ? `; the migration aborted in ${report.error.phase} (${report.error.errno})` : '';
  const losses: JobLoss[] = [
    ...t.lost.map((jobId): JobLoss => {
      const j = find(jobId);
      const inFlight = spans.find((s) => s.jobId === jobId)?.inFlightAtStop === true;
      return {
        jobId,
        kind: 'lost',
        cause:
          j === undefined
            ? 'never completed'
            : `submitted at ${at(j.submittedUs, j.submittedSeq)}${inFlight ? ', in flight at the stop' : ''}; never completed${abort}`,
      };
    }),
    ...t.duplicated.map((jobId): JobLoss => {
      const done = find(jobId)?.completions ?? [];
      return {
        jobId,
        kind: 'duplicated',
        cause: `completed ${done.length} times (${done.map((c) => at(c.us, c.seq)).join(', ')})`,
      };
    }),
    ...t.corrupt.map((jobId): JobLoss => {
      const c = find(jobId)?.completions[0];
      return {
        jobId,
        kind: 'corrupt',
        cause:
          c === undefined
            ? 'a bad status or output'
            : c.status !== 0
              ? `completed at ${at(c.us, c.seq)} with status ${c.status}`
              : `completed at ${at(c.us, c.seq)} with a wrong output`,
      };
    }),
    ...t.unknown.map(
      (jobId): JobLoss => ({
        jobId,
        kind: 'unknown',
        cause: `a completion for job ${jobId}, never submitted`,
      }),
    ),
  ];
  return {
    submitted: t.submitted,
    submittedOnSource: t.submittedOnSource,
    submittedOnDestination: t.submittedOnDestination,
    submittedDuringMigration: report.submittedDuringMigration,
    inFlightAtStop: report.inFlightAtStop,
    completedOnSource: t.completedOnSource,
    completedOnDestination: t.completedOnDestination,
    verified: t.verified,
    spans,
    losses,
  };
}
