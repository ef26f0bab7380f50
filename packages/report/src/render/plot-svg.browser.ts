import type * as Plot from '@observablehq/plot';
import { CHART_WIDTH, plotInto } from './plot-document.js';

/**
 * Render an Observable Plot chart to markup in a browser build: Plot draws into the page's own
 * `document` (Node's build, which takes `plot-svg.ts` in this file's place, uses linkedom).
 */
export function plotSvg(options: Plot.PlotOptions): string {
  return plotInto(globalThis.document, options);
}

export { CHART_WIDTH };
