import * as Plot from '@observablehq/plot';
import type { ReportView } from '../../model/report-model.js';
import { DOWNTIME_COLOR } from '../palette.js';

/** A range of virtual time (µs). */
export interface TimeDomain {
  readonly startUs: number;
  readonly endUs: number;
}

/** The whole run: from virtual time 0 to its last event. */
export const wholeRun = (model: ReportView): TimeDomain => model.span;

/**
 * The migration and what follows it: from a little before the migration's start (a twentieth of its
 * length) to the run's end, so that the phases and the downtime get the chart's width.
 */
export function aroundMigration(model: ReportView): TimeDomain {
  const { startUs, endUs } = model.migration;
  const pad = Math.max(5, Math.round((endUs - startUs) / 20));
  return { startUs: Math.max(model.span.startUs, startUs - pad), endUs: model.span.endUs };
}

/** The x scale of a chart over virtual time `domain` (µs). */
export function timeAxis(domain: TimeDomain): Plot.ScaleOptions {
  return { domain: [domain.startUs, domain.endUs], label: 'virtual time (µs)', grid: true };
}

/**
 * The downtime window across the whole chart (`g.downtime-window rect`) and its label, on a time chart;
 * nothing before the guest stopped.
 */
export function downtimeMarks(model: ReportView): Plot.Markish[] {
  const w = model.downtime;
  if (w === null) return [];
  return [
    Plot.rectX([w], {
      x1: 'startUs',
      x2: 'endUs',
      fill: DOWNTIME_COLOR,
      fillOpacity: 0.16,
      title: () => `downtime: ${w.us} µs (${w.startUs}–${w.endUs} µs), the guest stopped`,
      className: 'downtime-window',
    }),
    Plot.text([w], {
      x: 'endUs',
      frameAnchor: 'top',
      dy: -6,
      textAnchor: 'end',
      text: () => `downtime ${w.us} µs`,
      fill: DOWNTIME_COLOR,
      fontWeight: 'bold',
    }),
  ];
}

/** The live view's "now" (`g.now line`): a dashed rule at the virtual time the model is cut at. */
export function nowMark(model: ReportView, domain: TimeDomain): Plot.Markish[] {
  if (model.at === null || model.at < domain.startUs) return [];
  return [Plot.ruleX([model.at], { stroke: 'currentColor', strokeDasharray: '4,3', className: 'now' })];
}
