import type { NamedTrack, TraceEvent, TraceSink } from './trace-event.js';

/**
 * A sink that keeps every event in memory, in emission order, with the track names. pids and tids are
 * allocated in first-use order (1, 2, …), so the same run gives the same trace byte for byte.
 */
export class MemoryTraceSink implements TraceSink {
  readonly events: TraceEvent[] = [];
  private readonly pids = new Map<string, number>();
  private readonly tracks = new Map<string, NamedTrack>();

  /** Keep `event` (in arrival order). */
  record(event: TraceEvent): void {
    this.events.push(event);
  }

  track(process: string, thread: string): NamedTrack {
    const key = `${process}\u0000${thread}`;
    const known = this.tracks.get(key);
    if (known !== undefined) return known;
    let pid = this.pids.get(process);
    if (pid === undefined) {
      pid = this.pids.size + 1;
      this.pids.set(process, pid);
    }
    let tid = 1;
    for (const t of this.tracks.values()) if (t.pid === pid) tid++;
    const track: NamedTrack = { pid, tid, process, thread };
    this.tracks.set(key, track);
    return track;
  }

  /** Every track in allocation order. */
  namedTracks(): readonly NamedTrack[] {
    return [...this.tracks.values()];
  }
}
