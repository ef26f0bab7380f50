import * as Plot from '@observablehq/plot';

/** The width every chart is laid out at (px); the page scales the SVG to its column. */
export const CHART_WIDTH = 960;

/** Draw an Observable Plot chart into `document` and return its markup (the SVG, or the figure). */
export function plotInto(
  document: NonNullable<Plot.PlotOptions['document']>,
  options: Plot.PlotOptions,
): string {
  return Plot.plot({ width: CHART_WIDTH, ...options, document }).outerHTML;
}
