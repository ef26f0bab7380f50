/** Argument values a trace event may carry (shown in Perfetto's details pane). */
export type TraceArgValue = string | number | boolean | null;
/** Arguments of one trace event. */
export type TraceArgs = Readonly<Record<string, TraceArgValue>>;

/** Where an event is drawn: a process (e.g. "source host") and a thread/track in it (e.g. "qm-hw"). */
export interface TraceTrack {
  readonly pid: number;
  readonly tid: number;
}

/** What every trace event carries: its track, category, name, virtual timestamp and arguments. */
export interface TraceEventBase extends TraceTrack {
  /** Category, e.g. `'qm.mailbox'`; comma-separated categories are allowed. */
  readonly category: string;
  readonly name: string;
  /** Virtual timestamp in microseconds. */
  readonly ts: number;
  readonly args?: TraceArgs;
}

/** Work with a known start and duration (Chrome phase `X`). Slices on one track must nest. */
export interface SliceEvent extends TraceEventBase {
  readonly kind: 'slice';
  /** Virtual duration in microseconds. */
  readonly dur: number;
}

/** A point in time (Chrome phase `i`): a doorbell, an injected fault, an error. */
export interface InstantEvent extends TraceEventBase {
  readonly kind: 'instant';
  /** Scope: global, process or thread (Chrome `s`). */
  readonly scope: 'g' | 'p' | 't';
}

/** A sampled value (Chrome phase `C`): each key of `values` becomes a series. */
export interface CounterEvent extends TraceEventBase {
  readonly kind: 'counter';
  readonly values: Readonly<Record<string, number>>;
}

/** One end of an arrow between two slices (Chrome phases `s` / `f`), matched by `id`. */
export interface FlowEvent extends TraceEventBase {
  readonly kind: 'flow-start' | 'flow-end';
  readonly id: number;
}

/** Every event the model emits. */
export type TraceEvent = SliceEvent | InstantEvent | CounterEvent | FlowEvent;

/** A track with its names, for the exporter's metadata events. */
export interface NamedTrack extends TraceTrack {
  readonly process: string;
  readonly thread: string;
}

/** Where trace events go; also the registry of track names (for Perfetto's metadata events). */
export interface TraceSink {
  /** Take one event from the tracer. */
  record(event: TraceEvent): void;
  /** The track for `(process, thread)` names, allocated on first use. */
  track(process: string, thread: string): NamedTrack;
}
