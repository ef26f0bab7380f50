export {
  type ChromeTrace,
  type ChromeTraceEvent,
  toChromeTrace,
  validateChromeTrace,
} from './chrome-trace.js';
export { MemoryTraceSink } from './memory-trace-sink.js';
export type {
  CounterEvent,
  FlowEvent,
  InstantEvent,
  NamedTrack,
  SliceEvent,
  TraceArgs,
  TraceArgValue,
  TraceEvent,
  TraceEventBase,
  TraceSink,
  TraceTrack,
} from './trace-event.js';
export { Tracer } from './tracer.js';
