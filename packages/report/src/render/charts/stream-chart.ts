import * as Plot from '@observablehq/plot';
import { type StreamSection, TIMELINE_CATEGORIES } from '../../model/report-model.js';
import { CATEGORY_COLORS, FRAMING_COLOR } from '../palette.js';
import { plotSvg } from '../plot-svg.js';

/** One stacked piece of a section's bar. */
interface SectionPart {
  readonly section: string;
  readonly part: string;
  readonly bytes: number;
  readonly of: StreamSection;
}

/**
 * The device-state stream, section by section in stream order: each bar is one vfio section, its
 * device-state bytes (coloured by the phase it went out in) under QEMU's framing bytes. A device that
 * sends nothing in a pre-copy iteration still puts a section (framing only) on the stream.
 * Pieces: `g.stream-sections rect` (`<title>` `section N · part: B bytes`). The x axis and the colours
 * are those of `layout` (default the sections drawn): the live view passes the whole run's.
 */
export function streamChart(
  sections: readonly StreamSection[],
  layout: readonly StreamSection[] = sections,
): string {
  const name = (s: StreamSection) => `${s.index}`;
  const parts: SectionPart[] = sections.flatMap((s) => [
    { section: name(s), part: s.phase, bytes: s.deviceBytes, of: s },
    { section: name(s), part: 'QEMU framing', bytes: s.sectionBytes - s.deviceBytes, of: s },
  ]);
  const phases = TIMELINE_CATEGORIES.filter((c) => layout.some((s) => s.phase === c));
  const most = Math.max(1, ...layout.map((s) => s.sectionBytes));
  return plotSvg({
    height: 220,
    marginRight: Math.max(20, 900 - layout.length * 80),
    x: { domain: layout.map(name), label: 'section (stream order)', padding: 0.25 },
    y: { label: 'bytes', grid: true, nice: true, domain: [0, most] },
    color: {
      legend: true,
      domain: [...phases, 'QEMU framing'],
      range: [...phases.map((p) => CATEGORY_COLORS[p]), FRAMING_COLOR],
    },
    marks: [
      Plot.barY(parts, {
        x: 'section',
        y: 'bytes',
        fill: 'part',
        title: (p: SectionPart) =>
          `section ${p.section} · ${p.part === 'QEMU framing' ? 'QEMU framing' : `device state (${p.part})`}: ` +
          `${p.bytes} B — ${p.of.device} at ${p.of.atUs} µs, ${p.of.sectionBytes} B on the stream`,
        className: 'stream-sections',
      }),
      Plot.ruleY([0]),
    ],
  });
}
