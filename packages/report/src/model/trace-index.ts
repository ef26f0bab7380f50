import type { InstantEvent, NamedTrack, SliceEvent, TraceEvent } from '@vfio-sim/platform';

/** A run's trace as a `MemoryTraceSink` holds it: the events in emission order and the named tracks. */
export interface RunTrace {
  readonly events: readonly TraceEvent[];
  readonly tracks: readonly NamedTrack[];
}

/** An event with its position in the trace (emission order breaks ties between equal timestamps). */
export type Indexed<E extends TraceEvent> = E & { readonly seq: number };

/**
 * The events of a run by track, for the report's questions ("the device states the source's QEMU
 * read", "the guest driver's completions"). Nothing is copied but the per-track lists.
 */
export class TraceIndex {
  private readonly byTrack = new Map<string, Indexed<TraceEvent>[]>();
  private readonly names = new Map<string, NamedTrack>();

  constructor(readonly trace: RunTrace) {
    for (const t of trace.tracks) this.names.set(`${t.pid}:${t.tid}`, t);
    trace.events.forEach((e, seq) => {
      const t = this.names.get(`${e.pid}:${e.tid}`);
      if (t === undefined) return;
      const key = `${t.process}\u0000${t.thread}`;
      const list = this.byTrack.get(key);
      const ev = { ...e, seq } as Indexed<TraceEvent>;
      if (list === undefined) this.byTrack.set(key, [ev]);
      else list.push(ev);
    });
  }

  /** The events of track `(process, thread)`, in emission order (empty when it has none). */
  events(process: string, thread: string): readonly Indexed<TraceEvent>[] {
    return this.byTrack.get(`${process}\u0000${thread}`) ?? [];
  }

  /** The instants of category `category` on `(process, thread)`. */
  instants(process: string, thread: string, category: string): Indexed<InstantEvent>[] {
    return this.events(process, thread).filter(
      (e): e is Indexed<InstantEvent> => e.kind === 'instant' && e.category === category,
    );
  }

  /** The slices of category `category` on `(process, thread)`. */
  slices(process: string, thread: string, category: string): Indexed<SliceEvent>[] {
    return this.events(process, thread).filter(
      (e): e is Indexed<SliceEvent> => e.kind === 'slice' && e.category === category,
    );
  }

  /** The instants of `category` on every thread of `process` (e.g. `qm.fault` on a host's tracks). */
  processInstants(process: string, category: string): Indexed<InstantEvent>[] {
    const out: Indexed<InstantEvent>[] = [];
    for (const t of this.trace.tracks)
      if (t.process === process) out.push(...this.instants(process, t.thread, category));
    return out.sort((a, b) => a.seq - b.seq);
  }

  /** The threads of `process` whose name matches `pattern`, in track order. */
  threads(process: string, pattern: RegExp): string[] {
    return this.trace.tracks
      .filter((t) => t.process === process && pattern.test(t.thread))
      .map((t) => t.thread);
  }

  /** The processes that have a thread named `thread`. */
  processesWith(thread: string): string[] {
    return this.trace.tracks.filter((t) => t.thread === thread).map((t) => t.process);
  }

  /** The first and last virtual time of the run (a slice ends at ts + dur); 0..0 for an empty trace. */
  bounds(): { startUs: number; endUs: number } {
    let startUs = Number.POSITIVE_INFINITY;
    let endUs = 0;
    for (const e of this.trace.events) {
      startUs = Math.min(startUs, e.ts);
      endUs = Math.max(endUs, e.kind === 'slice' ? e.ts + e.dur : e.ts);
    }
    return { startUs: Number.isFinite(startUs) ? startUs : 0, endUs };
  }
}
