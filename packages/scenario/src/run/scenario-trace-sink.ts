import type { NamedTrack, TraceEvent, TraceSink } from '@vfio-sim/platform';

/** Virtual time left between two scenarios in a combined trace (µs). */
const GAP_US = 100;

/**
 * Several scenarios in one trace: each scenario's events are shifted to start after the previous
 * scenario ended, and its processes are named after its file, so a Perfetto view shows them one after
 * another without mixing hosts of the same name.
 */
export class ScenarioTraceSink {
  private offset = 0;

  constructor(private readonly inner: TraceSink) {}

  /** The sink for the next scenario (`file`). */
  next(file: string): TraceSink {
    const { inner } = this;
    const offset = this.offset;
    return {
      record: (event: TraceEvent) => inner.record({ ...event, ts: event.ts + offset }),
      // a tracer made from another one's track passes its (already prefixed) process name back
      track: (process: string, thread: string): NamedTrack =>
        inner.track(process.startsWith(`${file}: `) ? process : `${file}: ${process}`, thread),
    };
  }

  /** The scenario just traced ended at `us` of its own virtual time. */
  advance(us: number): void {
    this.offset += us + GAP_US;
  }
}
