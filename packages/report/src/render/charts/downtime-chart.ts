import * as Plot from '@observablehq/plot';
import type { DowntimeRun } from '../../model/report-model.js';
import { CATEGORY_COLORS } from '../palette.js';
import { plotSvg } from '../plot-svg.js';

/** One stacked piece of a run's downtime bar. */
interface DowntimePiece {
  readonly run: string;
  readonly phase: string;
  readonly us: number;
}

const PHASES = ['stop', 'stop-and-copy', 'guest memory', 'resume'] as const;

/**
 * The downtime of this run against the others (the same guest with RAM copied whole while stopped,
 * with the other protocol): one bar per run, stacked by the phases inside the downtime (stop,
 * stop-and-copy, guest memory, resume), its total written after it. A run that aborted has no bar.
 * Pieces: `g.downtime-bars rect` (`<title>` `run · phase: N µs`).
 */
export function downtimeChart(runs: readonly DowntimeRun[]): string {
  const pieces: DowntimePiece[] = runs.flatMap((r) =>
    r.downtimePhases.map((p) => ({ run: r.label, phase: p.name, us: p.us })),
  );
  return plotSvg({
    height: runs.length * 44 + 70,
    marginLeft: 300,
    marginRight: 90,
    x: { label: 'downtime (µs of virtual time)', grid: true, nice: true },
    y: { domain: runs.map((r) => r.label), label: null, padding: 0.25 },
    color: { legend: true, domain: [...PHASES], range: PHASES.map((p) => CATEGORY_COLORS[p]) },
    marks: [
      Plot.barX(pieces, {
        x: 'us',
        y: 'run',
        fill: 'phase',
        title: (p: DowntimePiece) => `${p.run} · ${p.phase}: ${p.us} µs`,
        className: 'downtime-bars',
      }),
      ...[true, false].map((thisRun) =>
        Plot.text(
          runs.filter((r) => r.thisRun === thisRun),
          {
            x: (r: DowntimeRun) => r.downtimeUs ?? 0,
            y: 'label',
            dx: 6,
            textAnchor: 'start',
            fontWeight: thisRun ? 'bold' : 'normal',
            text: (r: DowntimeRun) =>
              r.downtimeUs === null ? `aborted (${r.result})` : `${r.downtimeUs} µs`,
          },
        ),
      ),
      Plot.ruleX([0]),
    ],
  });
}
