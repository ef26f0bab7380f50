import { KernelError, toChromeTrace, validateChromeTrace } from '@vfio-sim/platform';
import { buildJobs } from './jobs.js';
import { migrationWindow } from './migration-window.js';
import type { ReportInput } from './report-input.js';
import { REPORT_MODEL_FORMAT, type ReportModel } from './report-model.js';
import { downtimeRun } from './runs.js';
import { buildStream } from './stream.js';
import { buildTimeline } from './timeline.js';
import { TraceIndex } from './trace-index.js';

/**
 * The report model of one live migration: vmm's `MigrateReport` placed on the run's trace (the
 * timeline of both hosts, the RAM rounds, the stream's sections, every job's life), the downtime
 * against the runs to compare with, the proof, and the trace itself as Perfetto JSON. A pure function:
 * the same input gives the same model, byte for byte.
 *
 * VMM counterpart: what `query-migrate` and QEMU's trace events tell a person, drawn.
 * @throws KernelError EINVAL when the trace is not of this run: it has no track of the migration's
 *   source host, or no guest process (a thread `vCPUs`) — or several and `input.guest` names none, or
 *   `input.guest` names a process that is not a guest. The input is never changed.
 */
export function buildReportModel(input: ReportInput): ReportModel {
  const report = input.migration;
  const index = new TraceIndex(input.trace);
  if (!input.trace.tracks.some((t) => t.process === report.from))
    throw new KernelError(
      'EINVAL',
      `the trace has no track of the source host '${report.from}': not this run's trace`,
    );
  const guest = input.guest ?? guestProcess(index);
  if (!index.processesWith('vCPUs').includes(guest))
    throw new KernelError('EINVAL', `the trace has no guest '${guest}' (no vCPUs track of that name)`);
  const span = { startUs: 0, endUs: index.bounds().endUs };
  const window = migrationWindow(index, report, guest);
  const timeline = buildTimeline(index, report, window, span);
  const verdict = input.verdict ?? { result: report.result, failures: report.failures };
  const jobs = buildJobs(index, report, window, guest);
  const ram = report.migration?.ram;
  const trace = toChromeTrace(input.trace.events, input.trace.tracks, { ...input.traceInfo });
  validateChromeTrace(trace);
  return {
    format: REPORT_MODEL_FORMAT,
    at: null,
    title: input.title,
    description: [...(input.description ?? [])],
    result: verdict.result,
    failures: [...verdict.failures],
    outcome: report.outcome,
    protocol: report.protocol,
    hosts: { source: report.from, destination: report.to },
    span,
    migration: { startUs: window.startUs, endUs: window.endUs },
    downtime: window.downtime,
    lanes: timeline.lanes,
    intervals: timeline.intervals,
    marks: timeline.marks,
    ram:
      ram === undefined
        ? null
        : {
            mode: ram.mode,
            iommuFormat: ram.iommuFormat,
            downtimeLimitUs: ram.downtimeLimitUs,
            maxRounds: ram.maxRounds,
            converged: ram.converged,
            rounds: ram.rounds,
            precopyBytes: ram.precopyBytes,
            stoppedBytes: ram.stoppedBytes,
            pagesCompared: ram.check.pagesCompared,
            mismatchedPages: ram.check.mismatchedPages.length,
          },
    runs: [
      downtimeRun(report, input.label, true),
      ...(input.comparisons ?? []).map((c) => downtimeRun(c.report, c.label, false)),
    ],
    stream: buildStream(index, report, window),
    jobs,
    faults: report.faults.map((f) => ({
      kind: f.fault.kind,
      side: f.side,
      target: f.target,
      function: f.function,
      phase: f.phase,
      injectedUs: f.injectedUs,
      clearedUs: f.clearedUs,
    })),
    error: window.error,
    proof: {
      jobsVerified: jobs.verified,
      jobsSubmitted: jobs.submitted,
      ramPagesCompared: report.proof.ram?.pagesCompared ?? null,
      ramIdentical: report.proof.ram?.identical ?? null,
      statement:
        verdict.result === 'PASS'
          ? `every job completed exactly once with the right output (${jobs.verified} / ${jobs.submitted})` +
            (report.proof.ram !== null
              ? `, guest RAM identical at the switch-over (${report.proof.ram.pagesCompared} pages compared)`
              : '')
          : verdict.failures.join('; '),
    },
    trace,
  };
}

/** The guest's process: the one with a `vCPUs` thread. */
function guestProcess(index: TraceIndex): string {
  const candidates = index.processesWith('vCPUs');
  const only = candidates[0];
  if (only === undefined || candidates.length > 1)
    throw new KernelError(
      'EINVAL',
      candidates.length === 0
        ? 'the trace has no guest (no vCPUs track)'
        : `the trace has ${candidates.length} guests (${candidates.join(', ')}): name one in input.guest`,
    );
  return only;
}
