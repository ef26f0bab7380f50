import type { TimelineCategory } from '../model/report-model.js';

/**
 * The colours of the timeline's groups: mid-tone hues that read on a light and a dark page alike and
 * carry white labels. One meaning, one hue family: green is a running guest, blue pre-copy, orange to
 * red the stopped guest and the stop, purple the destination taking over.
 */
export const CATEGORY_COLORS: Readonly<Record<TimelineCategory, string>> = {
  running: '#2f9e5b',
  stopped: '#c2410c',
  incoming: '#7c8594',
  setup: '#5b6fd6',
  'pre-copy': '#2f7fc1',
  stop: '#d9480f',
  'stop-and-copy': '#e8590c',
  'guest memory': '#b7791f',
  resume: '#8b5cf6',
  cleanup: '#64748b',
  'failed phase': '#b91c1c',
  'RAM round': '#0e8a8c',
  'RAM final round': '#c77c02',
  RUNNING: '#15803d',
  PRE_COPY: '#1d6fb8',
  STOP_COPY: '#dc5d17',
  STOP: '#a83a0f',
  RESUMING: '#7048c8',
  ERROR: '#b91c1c',
  fault: '#be123c',
};

/** Where a job completed (and, in the live view, a job still running). */
export const JOB_COLORS = {
  'completed on the source': '#2f7fc1',
  'completed on the destination': '#8b5cf6',
  lost: '#b91c1c',
  'in flight': '#7c8594',
} as const;

/** The RAM round chart's series. */
export const RAM_COLORS = {
  sent: '#2f7fc1',
  'CPU-dirty': '#e8590c',
  'DMA-dirty': '#0e8a8c',
  both: '#8b5cf6',
  left: '#7c8594',
} as const;

/** The colour of the framing part of a stream section (the device-state part takes its phase's colour). */
export const FRAMING_COLOR = '#94a3b8';

/** The downtime window's tint on the time charts. */
export const DOWNTIME_COLOR = '#d9480f';
