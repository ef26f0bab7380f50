import * as Plot from '@observablehq/plot';
import { parseHTML } from 'linkedom';

/** The width every chart is laid out at (px); the page scales the SVG to its column. */
export const CHART_WIDTH = 960;

/**
 * Render an Observable Plot chart to markup in Node: Plot draws into a linkedom document (no browser,
 * no network), and the SVG (or, with a legend, the `<figure>` holding legend and SVG) comes back as a
 * string to inline in the page. The charts use no clip paths, markers or patterns, whose ids come
 * from counters global to the process: so the same options give the same markup, byte for byte.
 */
export function plotSvg(options: Plot.PlotOptions): string {
  const { document } = parseHTML('<!doctype html><html><head></head><body></body></html>');
  const chart = Plot.plot({
    width: CHART_WIDTH,
    ...options,
    document: document as unknown as NonNullable<Plot.PlotOptions['document']>,
  });
  return chart.outerHTML;
}
