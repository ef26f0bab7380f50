import * as Plot from '@observablehq/plot';
import {
  type ReportView,
  TIMELINE_CATEGORIES,
  type TimelineInterval,
  type TimelineMark,
} from '../../model/report-model.js';
import { CATEGORY_COLORS, DOWNTIME_COLOR } from '../palette.js';
import { CHART_WIDTH, plotSvg } from '../plot-svg.js';
import { aroundMigration, downtimeMarks, nowMark, timeAxis } from './time-marks.js';

const MARGIN_LEFT = 190;
const MARGIN_RIGHT = 20;
const LANE_PX = 26;
/** Roughly one character of the 10 px label font. */
const CHAR_PX = 6;

const SYMBOLS: Readonly<Record<TimelineMark['kind'], string>> = {
  'fault-hit': 'triangle',
  error: 'times',
  switchover: 'diamond',
};

/**
 * Both hosts over virtual time: one lane per host and subject (the VM, the migration's phases, the RAM
 * rounds, each device's migration state, the faults), a bar for each thing that held, a label on bars
 * wide enough for one, the downtime window across all lanes, and point marks for faults taking effect,
 * the failure's errno and the switch-over approval. Each bar and mark has a tooltip (`<title>`).
 *
 * The chart spans the migration and what follows ({@link aroundMigration}); what began earlier (the
 * guest running on the source) starts at its left edge.
 *
 * Marks for tests and styling: bars `g.timeline-bars rect` (one per interval of the model),
 * marks `g.timeline-marks path`, the window `g.downtime-window rect`, the live cursor `g.now line`.
 */
export function timelineChart(model: ReportView): string {
  const domain = aroundMigration(model);
  const intervals = model.intervals.map((i) => ({ ...i, startUs: Math.max(i.startUs, domain.startUs) }));
  const categories = TIMELINE_CATEGORIES.filter((c) => intervals.some((i) => i.category === c));
  const pxPerUs = (CHART_WIDTH - MARGIN_LEFT - MARGIN_RIGHT) / Math.max(1, domain.endUs - domain.startUs);
  const labelled = intervals.filter((i) => (i.endUs - i.startUs) * pxPerUs >= i.label.length * CHAR_PX + 8);
  return plotSvg({
    height: model.lanes.length * LANE_PX + 80,
    marginTop: 28,
    marginLeft: MARGIN_LEFT,
    marginRight: MARGIN_RIGHT,
    x: timeAxis(domain),
    y: { domain: [...model.lanes], label: null, padding: 0.18 },
    color: {
      legend: true,
      domain: categories,
      range: categories.map((c) => CATEGORY_COLORS[c]),
    },
    symbol: { domain: Object.keys(SYMBOLS), range: Object.values(SYMBOLS) },
    marks: [
      ...downtimeMarks(model),
      Plot.barX(intervals, {
        x1: 'startUs',
        x2: 'endUs',
        y: 'lane',
        fill: 'category',
        title: (i: TimelineInterval) => `${i.lane}\n${i.startUs}–${i.endUs} µs: ${i.detail}`,
        className: 'timeline-bars',
      }),
      Plot.text(labelled, {
        x: (i: TimelineInterval) => (i.startUs + i.endUs) / 2,
        y: 'lane',
        text: 'label',
        fill: 'white',
        pointerEvents: 'none',
        className: 'timeline-labels',
      }),
      Plot.dot(model.marks, {
        x: 'atUs',
        y: 'lane',
        symbol: 'kind',
        r: 6,
        fill: (m: TimelineMark) => (m.kind === 'switchover' ? 'currentColor' : DOWNTIME_COLOR),
        stroke: 'var(--bg)',
        strokeWidth: 1.5,
        title: (m: TimelineMark) => `${m.lane}\n${m.atUs} µs: ${m.detail}`,
        className: 'timeline-marks',
      }),
      Plot.text(model.marks, {
        x: 'atUs',
        y: 'lane',
        text: 'label',
        dx: 9,
        dy: -9,
        textAnchor: 'start',
        fill: 'currentColor',
        stroke: 'var(--bg)',
        strokeWidth: 3,
        paintOrder: 'stroke',
        fontWeight: 'bold',
        className: 'timeline-mark-labels',
      }),
      ...nowMark(model, domain),
    ],
  });
}
