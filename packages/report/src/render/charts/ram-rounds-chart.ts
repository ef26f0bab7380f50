import * as Plot from '@observablehq/plot';
import type { RamRound } from '@vfio-sim/vmm';
import type { RamView } from '../../model/report-model.js';
import { RAM_COLORS } from '../palette.js';
import { plotSvg } from '../plot-svg.js';

/** One bar of the rounds chart. */
interface RoundBar {
  readonly round: string;
  readonly series: keyof typeof RAM_COLORS;
  readonly pages: number;
}

/** A round's label: its number, or `final` for the round while stopped. */
export const roundLabel = (r: RamRound): string => (r.stopped ? 'final' : String(r.round));

/**
 * The RAM pre-copy rounds, a group of bars per round: pages sent, then what the dirty sync after it
 * found — CPU-dirty (the KVM-style log), DMA-dirty (the IOMMU's dirty bits), in both — and the pages
 * left. The last group is the round while stopped. Every bar has a `<title>` starting with its series
 * (`sent: 80 pages in round 0`); bars: `g.ram-rounds rect`. The groups are those of `layout` (default
 * the rounds drawn): the live view passes the whole run's, so the chart fills in as rounds end.
 */
export function ramRoundsChart(ram: RamView, layout: readonly RamRound[] = ram.rounds): string {
  const bars: RoundBar[] = ram.rounds.flatMap((r) => {
    const round = roundLabel(r);
    return [
      { round, series: 'sent', pages: r.pagesSent },
      { round, series: 'CPU-dirty', pages: r.cpuDirtyPages },
      { round, series: 'DMA-dirty', pages: r.dmaDirtyPages },
      { round, series: 'both', pages: r.bothDirtyPages },
      { round, series: 'left', pages: r.remainingPages },
    ];
  });
  const series = Object.keys(RAM_COLORS) as (keyof typeof RAM_COLORS)[];
  const most = Math.max(
    1,
    ...layout.map((r) => Math.max(r.pagesSent, r.cpuDirtyPages, r.dmaDirtyPages, r.remainingPages)),
  );
  return plotSvg({
    height: 260,
    marginBottom: 36,
    fx: { domain: layout.map(roundLabel), label: 'round', padding: 0.12 },
    x: { domain: series, axis: null, padding: 0.08 },
    y: { label: 'pages', grid: true, nice: true, domain: [0, most] },
    color: { legend: true, domain: series, range: series.map((s) => RAM_COLORS[s]) },
    marks: [
      Plot.barY(bars, {
        fx: 'round',
        x: 'series',
        y: 'pages',
        fill: 'series',
        title: (b: RoundBar) => `${b.series}: ${b.pages} pages in round ${b.round}`,
        className: 'ram-rounds',
      }),
      Plot.ruleY([0]),
    ],
  });
}

/**
 * QEMU's convergence test per pre-copy round: the expected downtime (pages left / bandwidth) against
 * the downtime limit (`g.ram-limit line`). Points: `g.ram-expected circle`. The x axis has the rounds
 * of `layout` (default those drawn).
 */
export function ramConvergenceChart(ram: RamView, layout: readonly RamRound[] = ram.rounds): string {
  const running = ram.rounds.filter((r) => !r.stopped);
  const expected = Math.max(
    ram.downtimeLimitUs,
    ...layout.map((r) => (r.stopped ? 0 : r.expectedDowntimeUs)),
  );
  return plotSvg({
    height: 200,
    x: {
      domain: layout.filter((r) => !r.stopped).map(roundLabel),
      label: 'round',
      type: 'point',
      padding: 0.5,
    },
    y: { label: 'expected downtime (µs)', grid: true, nice: true, domain: [0, expected] },
    marks: [
      Plot.ruleY([ram.downtimeLimitUs], {
        stroke: '#d9480f',
        strokeDasharray: '5,4',
        className: 'ram-limit',
        title: () => `downtime limit ${ram.downtimeLimitUs} µs`,
      }),
      Plot.text([ram.downtimeLimitUs], {
        y: (d: number) => d,
        frameAnchor: 'right',
        dy: -7,
        textAnchor: 'end',
        text: () => `limit ${ram.downtimeLimitUs} µs`,
        fill: '#d9480f',
      }),
      Plot.line(running, { x: roundLabel, y: 'expectedDowntimeUs', stroke: '#2f7fc1' }),
      Plot.dot(running, {
        x: roundLabel,
        y: 'expectedDowntimeUs',
        fill: '#2f7fc1',
        r: 4,
        title: (r: RamRound) =>
          `round ${r.round}: ${r.remainingPages} pages left → ${r.expectedDowntimeUs} µs expected`,
        className: 'ram-expected',
      }),
    ],
  });
}
