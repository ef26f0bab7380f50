/**
 * @packageDocumentation
 * The vfio-sim harness: end-to-end scenarios over the whole stack, and the `vfio-sim` CLI.
 */
export { type DemoReport, formatDemoReport, runDemo } from './demo/demo.js';
export { type PlatformTourResult, platformTour } from './demo/platform-tour.js';
export { type LayerStatus, layerStatus } from './layers.js';
