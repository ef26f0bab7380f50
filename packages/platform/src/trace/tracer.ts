import type { TimeSource } from '../time/virtual-clock.js';
import type { NamedTrack, TraceArgs, TraceSink } from './trace-event.js';

/**
 * Emits typed events for one track, stamped with virtual time.
 *
 * A tracer without a sink is disabled: every method returns at once. Hot paths test {@link enabled}
 * before building arguments, so tracing that is off costs one property read.
 *
 * Kernel counterpart, loosely: tracepoints (`trace_*()` guarded by a static key).
 *
 * @example
 * ```ts
 * const sink = new MemoryTraceSink();
 * const t = Tracer.create(clock, sink, 'source host', 'qm-hw');
 * t.instant('qm.doorbell', 'sq', { qn: 3 });
 * ```
 */
export class Tracer {
  /** True when events are recorded. Test it before building costly arguments. */
  readonly enabled: boolean;

  private constructor(
    private readonly clock: TimeSource,
    private readonly sink: TraceSink | undefined,
    private readonly where: NamedTrack,
  ) {
    this.enabled = sink !== undefined;
  }

  /** A tracer for the track `(process, thread)` of `sink`. */
  static create(clock: TimeSource, sink: TraceSink, process: string, thread: string): Tracer {
    return new Tracer(clock, sink, sink.track(process, thread));
  }

  /** A tracer that records nothing. */
  static disabled(clock: TimeSource): Tracer {
    return new Tracer(clock, undefined, { pid: 0, tid: 0, process: '', thread: '' });
  }

  /** A tracer on another thread of the same sink (same process unless given). */
  forThread(thread: string, process?: string): Tracer {
    if (this.sink === undefined) return this;
    const track = this.sink.track(process ?? this.where.process, thread);
    return new Tracer(this.clock, this.sink, track);
  }

  /** Current virtual time (for the start of a {@link slice}). */
  now(): number {
    return this.clock.now();
  }

  /** A point event now. */
  instant(category: string, name: string, args?: TraceArgs, scope: 'g' | 'p' | 't' = 't'): void {
    if (this.sink === undefined) return;
    this.sink.record({
      kind: 'instant',
      category,
      name,
      ts: this.clock.now(),
      scope,
      pid: this.where.pid,
      tid: this.where.tid,
      ...opt(args),
    });
  }

  /** A completed slice from `startUs` until now. */
  slice(category: string, name: string, startUs: number, args?: TraceArgs): void {
    if (this.sink === undefined) return;
    const now = this.clock.now();
    this.sink.record({
      kind: 'slice',
      category,
      name,
      ts: startUs,
      dur: now - startUs,
      pid: this.where.pid,
      tid: this.where.tid,
      ...opt(args),
    });
  }

  /** Run `fn` and record it as a slice over the virtual time it took. The slice is recorded on throw too. */
  span<T>(category: string, name: string, fn: () => T, args?: TraceArgs): T {
    if (this.sink === undefined) return fn();
    const start = this.clock.now();
    try {
      return fn();
    } finally {
      this.slice(category, name, start, args);
    }
  }

  /** Sample one or more numeric series now. */
  counter(category: string, name: string, values: Readonly<Record<string, number>>): void {
    if (this.sink === undefined) return;
    this.sink.record({
      kind: 'counter',
      category,
      name,
      ts: this.clock.now(),
      values,
      pid: this.where.pid,
      tid: this.where.tid,
    });
  }

  /** Start of a flow arrow (binds to the enclosing slice on this track). */
  flowStart(category: string, name: string, id: number): void {
    if (this.sink === undefined) return;
    this.sink.record({
      kind: 'flow-start',
      category,
      name,
      id,
      ts: this.clock.now(),
      pid: this.where.pid,
      tid: this.where.tid,
    });
  }

  /** End of a flow arrow (binds to the enclosing slice on this track). */
  flowEnd(category: string, name: string, id: number): void {
    if (this.sink === undefined) return;
    this.sink.record({
      kind: 'flow-end',
      category,
      name,
      id,
      ts: this.clock.now(),
      pid: this.where.pid,
      tid: this.where.tid,
    });
  }
}

function opt(args: TraceArgs | undefined): { args?: TraceArgs } {
  return args === undefined ? {} : { args };
}
