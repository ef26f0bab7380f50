import type { JobSpan, ReportModel, TimelineInterval } from './report-model.js';

/**
 * The model as it stood at virtual time `us`: what the live view shows while it plays a run. Bars
 * that began by then end at `us` at the latest, marks and stream sections from after it are gone, RAM
 * rounds show once they ended, jobs not completed by then are `pending`; the downtime comparison, the
 * per-device totals and the verdict wait for the end. At or after the run's end it is the model itself.
 * A pure function of its arguments.
 */
export function reportAt(model: ReportModel, us: number): ReportModel {
  if (us >= model.span.endUs) return model;
  const clip = (i: TimelineInterval): TimelineInterval => ({ ...i, endUs: Math.min(i.endUs, us) });
  const job = (j: JobSpan): JobSpan =>
    j.completedUs !== null && j.completedUs <= us
      ? j
      : {
          ...j,
          completedUs: null,
          fate: 'pending',
          inFlightAtStop: j.inFlightAtStop && (model.downtime?.startUs ?? Infinity) <= us,
        };
  const spans = model.jobs.spans.filter((j) => j.submittedUs <= us).map(job);
  const done = (side: JobSpan['fate']) => spans.filter((j) => j.fate === side).length;
  const w = model.downtime;
  return {
    ...model,
    at: us,
    intervals: model.intervals.filter((i) => i.startUs < us).map(clip),
    marks: model.marks.filter((m) => m.atUs <= us),
    downtime:
      w === null || w.startUs > us
        ? null
        : { ...w, endUs: Math.min(w.endUs, us), us: Math.min(w.endUs, us) - w.startUs },
    ram:
      model.ram === null
        ? null
        : { ...model.ram, rounds: model.ram.rounds.filter((r) => r.startUs + r.durationUs <= us) },
    runs: [],
    stream: { devices: [], sections: model.stream.sections.filter((s) => s.atUs <= us) },
    jobs: {
      ...model.jobs,
      submitted: spans.length,
      submittedOnSource: spans.filter((j) => j.submittedOn === 'source').length,
      submittedOnDestination: spans.filter((j) => j.submittedOn === 'destination').length,
      completedOnSource: done('source'),
      completedOnDestination: done('destination'),
      inFlightAtStop: w !== null && w.startUs <= us ? model.jobs.inFlightAtStop : null,
      verified: 0,
      spans,
      losses: [],
    },
    faults: model.faults.filter((f) => f.injectedUs <= us),
    error: model.error !== null && model.error.atUs <= us ? model.error : null,
  };
}
