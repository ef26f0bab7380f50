import { describe, expect, it } from 'vitest';
import { errnoOf } from '../errno/kernel-error.js';
import { VirtualClock } from '../time/virtual-clock.js';
import { type ChromeTrace, toChromeTrace, validateChromeTrace } from './chrome-trace.js';
import { MemoryTraceSink } from './memory-trace-sink.js';
import { Tracer } from './tracer.js';

function scenario() {
  const clock = new VirtualClock();
  const sink = new MemoryTraceSink();
  const hw = Tracer.create(clock, sink, 'source host', 'qm-hw');
  const drv = hw.forThread('hisi-acc-vfio-pci');
  const dst = Tracer.create(clock, sink, 'destination host', 'qm-hw');
  drv.span('mig', 'STOP_COPY', () => {
    clock.udelay(5);
    drv.span('mig', 'pause_qm', () => {
      hw.instant('qm.mailbox', 'PAUSE_QM', { fn: 1 });
      drv.flowStart('mig', 'stream', 1);
      clock.udelay(10);
    });
    clock.udelay(5);
  });
  dst.counter('mig', 'bytes', { received: 176 });
  dst.flowEnd('mig', 'stream', 1);
  return { clock, sink };
}

describe('Tracer', () => {
  it('records typed events stamped with virtual time on named tracks', () => {
    const { sink } = scenario();
    expect(sink.namedTracks()).toEqual([
      { pid: 1, tid: 1, process: 'source host', thread: 'qm-hw' },
      { pid: 1, tid: 2, process: 'source host', thread: 'hisi-acc-vfio-pci' },
      { pid: 2, tid: 1, process: 'destination host', thread: 'qm-hw' },
    ]);
    const slices = sink.events.filter((e) => e.kind === 'slice');
    expect(slices.map((s) => [s.name, s.ts, s.kind === 'slice' ? s.dur : -1])).toEqual([
      ['pause_qm', 5, 10],
      ['STOP_COPY', 0, 20],
    ]);
    expect(sink.events.find((e) => e.kind === 'instant')).toMatchObject({
      name: 'PAUSE_QM',
      ts: 5,
      pid: 1,
      tid: 1,
      args: { fn: 1 },
    });
  });

  it('a disabled tracer records nothing and still runs spans', () => {
    const clock = new VirtualClock();
    const t = Tracer.disabled(clock);
    expect(t.enabled).toBe(false);
    expect(t.span('x', 'y', () => 42)).toBe(42);
    t.instant('x', 'y');
    expect(t.forThread('other')).toBe(t);
  });

  it('records the slice even when the work throws', () => {
    const clock = new VirtualClock();
    const sink = new MemoryTraceSink();
    const t = Tracer.create(clock, sink, 'p', 't');
    expect(() =>
      t.span('x', 'failing', () => {
        clock.udelay(3);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(sink.events).toMatchObject([{ kind: 'slice', name: 'failing', dur: 3 }]);
  });
});

describe('Chrome Trace Event export', () => {
  it('writes metadata names, X slices, instants, counters and bound flows', () => {
    const { sink } = scenario();
    const trace = toChromeTrace(sink.events, sink.namedTracks(), { seed: 1 });
    validateChromeTrace(trace);
    const ph = trace.traceEvents.map((e) => e.ph);
    expect(ph.filter((p) => p === 'M')).toHaveLength(2 * 2 + 3 * 2);
    expect(trace.traceEvents).toContainEqual({
      name: 'process_name',
      ph: 'M',
      ts: 0,
      pid: 2,
      tid: 0,
      args: { name: 'destination host' },
    });
    expect(trace.traceEvents).toContainEqual({
      name: 'STOP_COPY',
      cat: 'mig',
      ph: 'X',
      ts: 0,
      dur: 20,
      pid: 1,
      tid: 2,
    });
    expect(trace.traceEvents).toContainEqual({
      name: 'bytes',
      cat: 'mig',
      ph: 'C',
      ts: 20,
      pid: 2,
      tid: 1,
      args: { received: 176 },
    });
    expect(trace.traceEvents).toContainEqual({
      name: 'stream',
      cat: 'mig',
      ph: 'f',
      id: 1,
      bp: 'e',
      ts: 20,
      pid: 2,
      tid: 1,
    });
    expect(trace.otherData).toEqual({ seed: 1 });
    // JSON round-trips (what Perfetto loads).
    expect(JSON.parse(JSON.stringify(trace))).toEqual(trace);
  });

  it('is deterministic: same run, same bytes', () => {
    const a = scenario().sink;
    const b = scenario().sink;
    expect(JSON.stringify(toChromeTrace(a.events, a.namedTracks()))).toBe(
      JSON.stringify(toChromeTrace(b.events, b.namedTracks())),
    );
  });

  it('validation rejects partially overlapping slices and bad timestamps with EINVAL', () => {
    const base: ChromeTrace = { traceEvents: [], displayTimeUnit: 'ns', otherData: {} };
    const overlap: ChromeTrace = {
      ...base,
      traceEvents: [
        { name: 'a', ph: 'X', ts: 0, dur: 10, pid: 1, tid: 1 },
        { name: 'b', ph: 'X', ts: 5, dur: 10, pid: 1, tid: 1 },
      ],
    };
    expect(errnoOf(() => validateChromeTrace(overlap))).toBe('EINVAL');
    // The same slices on different tracks are fine.
    validateChromeTrace({
      ...overlap,
      traceEvents: [overlap.traceEvents[0]!, { ...overlap.traceEvents[1]!, tid: 2 }],
    });
    expect(
      errnoOf(() =>
        validateChromeTrace({ ...base, traceEvents: [{ name: 'n', ph: 'i', ts: -1, pid: 1, tid: 1 }] }),
      ),
    ).toBe('EINVAL');
    expect(
      errnoOf(() =>
        validateChromeTrace({ ...base, traceEvents: [{ name: 'n', ph: 'X', ts: 1, pid: 1, tid: 1 }] }),
      ),
    ).toBe('EINVAL');
  });
});
