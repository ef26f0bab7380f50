import {
  defineStruct,
  GuestMemory,
  MemoryTraceSink,
  Prng,
  pollTimeout,
  Tracer,
  toChromeTrace,
  VirtualClock,
  validateChromeTrace,
} from '@vfio-sim/platform';

/** What the platform tour did, for the summary. */
export interface PlatformTourResult {
  readonly seed: number;
  /** Virtual µs a polled "mailbox" took to complete. */
  readonly pollCompletedAtUs: number;
  readonly guestBytesWritten: number;
  readonly guestBytesTouched: number;
  readonly traceEvents: number;
}

/** The 16-byte QM mailbox, used here only to show a struct layout round trip through guest memory. */
const qm_mailbox = defineStruct('qm_mailbox', [
  { name: 'w0', type: 'u16' },
  { name: 'queue_num', type: 'u16' },
  { name: 'base_l', type: 'u32' },
  { name: 'base_h', type: 'u32' },
  { name: 'rsvd', type: 'u32' },
]);

/**
 * Exercise what exists of the stack so far (the platform layer): a hardware completion found by
 * polling in virtual time, guest memory written sparsely, a struct round trip and a Perfetto trace.
 */
export function platformTour(seed: number): PlatformTourResult {
  const clock = new VirtualClock();
  const sink = new MemoryTraceSink();
  const trace = Tracer.create(clock, sink, 'host', 'platform');
  const prng = new Prng(seed);

  // A device that completes after a seeded latency; the driver polls every 10 µs for up to 1 ms.
  let busy = 1;
  const latency = prng.int(20, 200);
  clock.after(latency, () => {
    busy = 0;
    trace.instant('hw', 'completion', { latency });
  });
  trace.span('driver', 'poll', () =>
    pollTimeout(
      clock,
      () => busy,
      (v) => v === 0,
      10,
      1000,
    ),
  );

  // Guest memory: a few scattered writes, read back through a struct layout.
  const mem = new GuestMemory(64 << 20);
  let written = 0;
  for (let i = 0; i < 8; i++) {
    const gpa = prng.int(0, (64 << 20) / 16 - 1) * 16;
    const value = { ...qm_mailbox.zero(), w0: prng.int(0, 0xffff), queue_num: i };
    mem.write(gpa, qm_mailbox.encode(value));
    written += qm_mailbox.size;
    const back = qm_mailbox.decode(mem.readBytes(gpa, qm_mailbox.size));
    if (back.queue_num !== i || back.w0 !== value.w0) throw new Error('guest memory round trip failed');
  }
  const chrome = toChromeTrace(sink.events, sink.namedTracks(), { seed });
  validateChromeTrace(chrome);
  return {
    seed,
    pollCompletedAtUs: clock.now(),
    guestBytesWritten: written,
    guestBytesTouched: mem.touchedBytes(),
    traceEvents: chrome.traceEvents.length,
  };
}
