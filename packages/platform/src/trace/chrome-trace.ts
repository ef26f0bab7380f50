import { KernelError } from '../errno/kernel-error.js';
import type { NamedTrack, TraceEvent } from './trace-event.js';

/** One event of the Chrome Trace Event format (the subset the model writes). */
export interface ChromeTraceEvent {
  name: string;
  cat?: string;
  ph: 'X' | 'i' | 'C' | 's' | 'f' | 'M';
  ts: number;
  pid: number;
  tid: number;
  dur?: number;
  s?: 'g' | 'p' | 't';
  id?: number;
  bp?: 'e';
  args?: Record<string, unknown>;
}

/** A Chrome Trace Event JSON document; Perfetto (ui.perfetto.dev) and chrome://tracing open it. */
export interface ChromeTrace {
  traceEvents: ChromeTraceEvent[];
  displayTimeUnit: 'ms' | 'ns';
  otherData: Record<string, string | number | boolean>;
}

/**
 * Convert model events to Chrome Trace Event JSON: slices (`X`), instants (`i`), counters (`C`),
 * flows (`s`/`f`, bound to the enclosing slice) and metadata (`M`: process and thread names, sort order).
 * Timestamps stay in microseconds of virtual time.
 */
export function toChromeTrace(
  events: readonly TraceEvent[],
  tracks: readonly NamedTrack[],
  otherData: Record<string, string | number | boolean> = {},
): ChromeTrace {
  const traceEvents: ChromeTraceEvent[] = [];
  const namedPids = new Set<number>();
  for (const t of tracks) {
    if (!namedPids.has(t.pid)) {
      namedPids.add(t.pid);
      traceEvents.push({
        name: 'process_name',
        ph: 'M',
        ts: 0,
        pid: t.pid,
        tid: 0,
        args: { name: t.process },
      });
      traceEvents.push({
        name: 'process_sort_index',
        ph: 'M',
        ts: 0,
        pid: t.pid,
        tid: 0,
        args: { sort_index: t.pid },
      });
    }
    traceEvents.push({
      name: 'thread_name',
      ph: 'M',
      ts: 0,
      pid: t.pid,
      tid: t.tid,
      args: { name: t.thread },
    });
    traceEvents.push({
      name: 'thread_sort_index',
      ph: 'M',
      ts: 0,
      pid: t.pid,
      tid: t.tid,
      args: { sort_index: t.tid },
    });
  }
  for (const e of events) {
    const base = { name: e.name, cat: e.category, ts: e.ts, pid: e.pid, tid: e.tid };
    switch (e.kind) {
      case 'slice':
        traceEvents.push({ ...base, ph: 'X', dur: e.dur, ...(e.args ? { args: { ...e.args } } : {}) });
        break;
      case 'instant':
        traceEvents.push({ ...base, ph: 'i', s: e.scope, ...(e.args ? { args: { ...e.args } } : {}) });
        break;
      case 'counter':
        traceEvents.push({ ...base, ph: 'C', args: { ...e.values } });
        break;
      case 'flow-start':
        traceEvents.push({ ...base, ph: 's', id: e.id });
        break;
      case 'flow-end':
        traceEvents.push({ ...base, ph: 'f', id: e.id, bp: 'e' });
        break;
    }
  }
  return { traceEvents, displayTimeUnit: 'ns', otherData };
}

/**
 * Check what Perfetto needs of a JSON trace: finite non-negative timestamps and durations, and slices
 * that nest perfectly on each (pid, tid) track (Perfetto drops partially overlapping slices).
 * @throws KernelError EINVAL naming the first offending event.
 */
export function validateChromeTrace(trace: ChromeTrace): void {
  const byTrack = new Map<string, ChromeTraceEvent[]>();
  for (const e of trace.traceEvents) {
    if (!Number.isFinite(e.ts) || e.ts < 0) {
      throw new KernelError('EINVAL', `event "${e.name}" has timestamp ${e.ts}`);
    }
    if (e.ph !== 'X') continue;
    if (e.dur === undefined || !Number.isFinite(e.dur) || e.dur < 0) {
      throw new KernelError('EINVAL', `slice "${e.name}" has duration ${e.dur}`);
    }
    const key = `${e.pid}:${e.tid}`;
    const list = byTrack.get(key);
    if (list === undefined) byTrack.set(key, [e]);
    else list.push(e);
  }
  for (const [key, slices] of byTrack) {
    // Order by start, longer first at equal starts (the parent before its child), then check a stack.
    const sorted = [...slices].sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
    const open: ChromeTraceEvent[] = [];
    for (const s of sorted) {
      while (open.length > 0 && open[open.length - 1]!.ts + open[open.length - 1]!.dur! <= s.ts) open.pop();
      const parent = open[open.length - 1];
      if (parent !== undefined && s.ts + s.dur! > parent.ts + parent.dur!) {
        throw new KernelError(
          'EINVAL',
          `slice "${s.name}" overlaps "${parent.name}" on track ${key} without nesting`,
        );
      }
      open.push(s);
    }
  }
}
