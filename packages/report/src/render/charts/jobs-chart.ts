import * as Plot from '@observablehq/plot';
import type { JobSpan, ReportView } from '../../model/report-model.js';
import { JOB_COLORS } from '../palette.js';
import { plotSvg } from '../plot-svg.js';
import { downtimeMarks, nowMark, timeAxis, wholeRun } from './time-marks.js';

/** What a job's bar says about it. */
export function jobOutcome(j: JobSpan): keyof typeof JOB_COLORS {
  if (j.fate === 'source') return 'completed on the source';
  if (j.fate === 'destination') return 'completed on the destination';
  return j.fate === 'pending' ? 'in flight' : 'lost';
}

/**
 * Every guest job as a bar from its submission to its completion, one row per job in submission
 * order, coloured by where it completed (a lost job runs to the end of the chart); the jobs in flight
 * when the source vCPUs stopped are outlined. The rows are those of `rows` (default the model's jobs):
 * the live view passes the whole run's, so rows do not move as jobs arrive. Bars: `g.job-bars rect`.
 */
export function jobsChart(model: ReportView, rows: readonly JobSpan[] = model.jobs.spans): string {
  const spans = model.jobs.spans;
  const rowOf = (j: JobSpan) => `${j.driver} #${j.jobId}`;
  const endOf = (j: JobSpan) => j.completedUs ?? model.at ?? model.span.endUs;
  const domain = wholeRun(model);
  return plotSvg({
    height: Math.min(640, Math.max(140, rows.length * 6 + 80)),
    marginTop: 28,
    marginLeft: 40,
    marginRight: 20,
    x: timeAxis(domain),
    y: { domain: rows.map(rowOf), axis: null, padding: 0.15 },
    color: {
      legend: true,
      domain: Object.keys(JOB_COLORS),
      range: Object.values(JOB_COLORS),
    },
    marks: [
      ...downtimeMarks(model),
      Plot.barX(spans, {
        x1: 'submittedUs',
        x2: (j: JobSpan) => Math.max(endOf(j), j.submittedUs + 1),
        y: rowOf,
        fill: jobOutcome,
        stroke: (j: JobSpan) => (j.inFlightAtStop ? 'currentColor' : 'none'),
        strokeWidth: 1,
        title: (j: JobSpan) =>
          `${j.driver} job ${j.jobId}: submitted at ${j.submittedUs} µs on the ${j.submittedOn}` +
          (j.completedUs !== null
            ? `, completed at ${j.completedUs} µs on the ${j.fate}`
            : `, ${jobOutcome(j)}`) +
          (j.inFlightAtStop ? ' (in flight at the stop)' : ''),
        className: 'job-bars',
      }),
      ...nowMark(model, domain),
    ],
  });
}
