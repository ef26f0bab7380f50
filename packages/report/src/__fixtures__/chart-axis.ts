/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The page.evaluate callback runs in the browser: it sees the DOM.
import type { Page } from '@vfio-sim/browser-test';

/**
 * µs per pixel of a chart's x axis, from its tick labels' positions and values (`chartSel` selects the
 * chart's svg): how a reader reads a bar's length.
 */
export async function pixelsPerUs(page: Page, chartSel: string): Promise<number> {
  return page.evaluate((sel) => {
    const svg = document.querySelector(sel) as SVGSVGElement;
    const ticks = [...svg.querySelectorAll('g[aria-label="x-axis tick label"] text')].map((t) => {
      const r = t.getBoundingClientRect();
      return { x: r.left + r.width / 2, v: Number((t.textContent ?? '').replaceAll(',', '')) };
    });
    const a = ticks[0]!;
    const b = ticks[ticks.length - 1]!;
    return (b.x - a.x) / (b.v - a.v);
  }, chartSel);
}
