import type * as Plot from '@observablehq/plot';
import { parseHTML } from 'linkedom';
import { CHART_WIDTH, plotInto } from './plot-document.js';

/**
 * Render an Observable Plot chart to markup in Node: Plot draws into a linkedom document (no browser,
 * no network), and the SVG (or, with a legend, the `<figure>` holding legend and SVG) comes back as a
 * string to inline in the page. The charts use no clip paths, markers or patterns, whose ids come
 * from counters global to the process: so the same options give the same markup, byte for byte.
 */
export function plotSvg(options: Plot.PlotOptions): string {
  const { document } = parseHTML('<!doctype html><html><head></head><body></body></html>');
  return plotInto(document as unknown as NonNullable<Plot.PlotOptions['document']>, options);
}

export { CHART_WIDTH };
