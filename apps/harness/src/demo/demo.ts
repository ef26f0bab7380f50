import { type LayerStatus, layerStatus } from '../layers.js';
import { type PlatformTourResult, platformTour } from './platform-tour.js';

/** The demo's outcome: what ran, and which layers are not built yet. */
export interface DemoReport {
  readonly seed: number;
  readonly layers: readonly LayerStatus[];
  readonly platform: PlatformTourResult;
  /** True once a live migration exists to demo; until then the demo says so plainly. */
  readonly migrationAvailable: boolean;
}

/** Run the demo: everything the stack can do today. */
export function runDemo(seed: number): DemoReport {
  const layers = layerStatus();
  return {
    seed,
    layers,
    platform: platformTour(seed),
    migrationAvailable: false,
  };
}

/** The demo report as text for a terminal. */
export function formatDemoReport(report: DemoReport): string {
  const lines = [`vfio-sim demo (seed ${report.seed})`, '', 'Layers, bottom to top:'];
  for (const l of report.layers) {
    lines.push(
      `  ${l.built ? '✓' : '·'} ${l.name.padEnd(30)} ${l.built ? `${l.exports} exports` : 'not built yet'}`,
    );
  }
  const p = report.platform;
  lines.push(
    '',
    'Platform tour (virtual time only):',
    `  a polled device completion seen at ${p.pollCompletedAtUs} µs`,
    `  ${p.guestBytesWritten} bytes written to sparse guest memory, ${p.guestBytesTouched} bytes of pages touched`,
    `  ${p.traceEvents} Chrome/Perfetto trace events, nesting validated`,
    '',
  );
  const missing = report.layers.filter((l) => !l.built).map((l) => l.name);
  if (missing.length > 0) lines.push(`Not built yet: ${missing.join(', ')}.`);
  if (!report.migrationAvailable) {
    lines.push(
      'There is no live migration to show yet; this demo will run one as soon as those layers land.',
    );
  }
  return `${lines.join('\n')}\n`;
}
