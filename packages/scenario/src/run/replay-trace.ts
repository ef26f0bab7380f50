import type { MemoryTraceSink, NamedTrack, TraceSink } from '@vfio-sim/platform';

/**
 * Send every event `from` holds to `into`, in order, on `into`'s own tracks of the same names (each
 * sink numbers its tracks itself): what `into` would hold had it been the sink all along.
 */
export function replayTrace(from: MemoryTraceSink, into: TraceSink): void {
  const tracks = new Map<string, NamedTrack>();
  for (const t of from.namedTracks()) tracks.set(`${t.pid}:${t.tid}`, into.track(t.process, t.thread));
  for (const e of from.events) {
    const t = tracks.get(`${e.pid}:${e.tid}`);
    if (t !== undefined) into.record({ ...e, pid: t.pid, tid: t.tid });
  }
}
