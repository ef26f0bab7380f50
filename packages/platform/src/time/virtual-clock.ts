import { KernelError } from '../errno/kernel-error.js';
import { EventHeap, type TimedEvent } from './event-heap.js';
import { EventTrack } from './event-track.js';

/** A handle for a scheduled event; pass it to {@link VirtualClock.cancel}. */
export interface TimerHandle {
  readonly time: number;
}

/** Anything that tells the virtual time in microseconds (a clock, or a view of one). */
export interface TimeSource {
  /** Current virtual time in microseconds (kernel counterpart: `ktime_get()`, in µs). */
  now(): number;
}

/** Default N of the event-storm guard: events of one track without progress that end the run. */
export const DEFAULT_STORM_EVENTS = 10_000;
/** Default M of the event-storm guard: the window (virtual µs) those N events must fall in. */
export const DEFAULT_STORM_WINDOW_US = 1_000_000;

/** Options of {@link VirtualClock}. */
export interface VirtualClockOptions {
  /** Initial virtual time in µs (default 0). */
  readonly startUs?: number;
  /**
   * N of the event-storm guard: a track whose events run N times without progress, all within
   * {@link stormWindowUs}, ends the run (default {@link DEFAULT_STORM_EVENTS}; `Infinity` turns the
   * guard off). An integer ≥ 2.
   */
  readonly stormEvents?: number;
  /** M of the event-storm guard, in virtual µs (default {@link DEFAULT_STORM_WINDOW_US}). Finite, > 0. */
  readonly stormWindowUs?: number;
}

/**
 * Virtual time in microseconds and the discrete-event scheduler that advances it.
 *
 * The model never sleeps on the wall clock. Hardware latencies are events scheduled on this clock; a
 * driver that busy-waits (`udelay`, `readl_relaxed_poll_timeout`) advances virtual time, and the events
 * due in that window (a mailbox completing, a DMA finishing) run as time passes. Same schedule, same
 * order: events due at the same microsecond run in scheduling order.
 *
 * **Event-storm guard.** An event may name its source, an {@link EventTrack} ({@link track}, then
 * `after(delay, fn, track)`). The clock counts each track's events since the track last reported
 * {@link EventTrack.progress}; the count starts again when more than M µs ({@link stormWindowUs}) have
 * passed since the first event it counted. When the N-th event ({@link stormEvents}) of a count has
 * run, the clock throws `KernelError` EDEADLK naming the track, from whichever call is running events
 * (`runUntil`, `runUntilIdle`, `udelay`): a source that re-raises without progress — an interrupt
 * storm — ends the run after N events instead of spinning until `runUntilIdle`'s event budget runs out.
 * Events scheduled without a track are not counted, and do not count as anyone's progress.
 *
 * Kernel counterparts: `ktime_get()` ({@link now}), `udelay()`/`usleep_range()` ({@link udelay}), timers
 * and delayed work ({@link after}); the storm guard plays the part of the spurious-IRQ detector
 * (`note_interrupt()`), which gives up on a line that fires without being handled.
 */
export class VirtualClock implements TimeSource {
  /** N: events of one track without progress that end the run. */
  readonly stormEvents: number;
  /** M: the window, in virtual µs, those N events must fall in. */
  readonly stormWindowUs: number;
  private time = 0;
  private seq = 0;
  private readonly heap = new EventHeap();

  /**
   * @param options the initial virtual time in µs, or {@link VirtualClockOptions}.
   * @throws KernelError EINVAL for a negative or non-finite start, a storm N that is not an integer ≥ 2
   * (or `Infinity`), or a window that is not a finite positive duration.
   */
  constructor(options: number | VirtualClockOptions = {}) {
    const o: VirtualClockOptions = typeof options === 'number' ? { startUs: options } : options;
    const startUs = o.startUs ?? 0;
    if (!Number.isFinite(startUs) || startUs < 0) {
      throw new KernelError('EINVAL', `clock start ${startUs} µs is not a finite non-negative time`);
    }
    const n = o.stormEvents ?? DEFAULT_STORM_EVENTS;
    if (n !== Number.POSITIVE_INFINITY && !(Number.isInteger(n) && n >= 2)) {
      throw new KernelError('EINVAL', `storm guard of ${n} events: want an integer >= 2 or Infinity`);
    }
    const m = o.stormWindowUs ?? DEFAULT_STORM_WINDOW_US;
    if (!Number.isFinite(m) || m <= 0) {
      throw new KernelError('EINVAL', `storm window ${m} µs is not a finite positive duration`);
    }
    this.time = startUs;
    this.stormEvents = n;
    this.stormWindowUs = m;
  }

  now(): number {
    return this.time;
  }

  /** Number of events still scheduled (cancelled ones excluded once they reach the head). */
  get pending(): number {
    return this.heap.size;
  }

  /** Time of the next scheduled event, or `undefined` when idle. */
  nextEventTime(): number | undefined {
    this.dropCancelled();
    return this.heap.peek()?.time;
  }

  /**
   * A named source of events for the storm guard (create it once per source, not per event).
   * Kernel counterpart, loosely: one IRQ line's `struct irq_desc` counters.
   */
  track(name: string): EventTrack {
    return new EventTrack(name);
  }

  /**
   * Schedule `fn` at absolute virtual time `timeUs` (not before now), as an event of `track` if given.
   * @throws KernelError EINVAL if the time is in the past or not finite.
   */
  at(timeUs: number, fn: () => void, track?: EventTrack): TimerHandle {
    if (!Number.isFinite(timeUs) || timeUs < this.time) {
      throw new KernelError('EINVAL', `cannot schedule at ${timeUs} µs: now is ${this.time} µs`);
    }
    const event: TimedEvent = { time: timeUs, seq: this.seq++, fn, cancelled: false, track };
    this.heap.push(event);
    return event;
  }

  /**
   * Schedule `fn` `delayUs` microseconds from now (0 = later in this instant, after what is queued), as
   * an event of `track` if given.
   */
  after(delayUs: number, fn: () => void, track?: EventTrack): TimerHandle {
    if (!Number.isFinite(delayUs) || delayUs < 0) {
      throw new KernelError('EINVAL', `delay ${delayUs} µs is not a finite non-negative duration`);
    }
    return this.at(this.time + delayUs, fn, track);
  }

  /** Cancel a scheduled event; cancelling one that already ran (or was cancelled) does nothing. */
  cancel(handle: TimerHandle): void {
    (handle as TimedEvent).cancelled = true;
  }

  /**
   * Run due events in order, advancing time to each, until `timeUs`; then set the time to `timeUs`.
   * Events may schedule more events; those due by `timeUs` run too. Re-entrant: an event may itself
   * advance time (a driver busy-waiting inside an interrupt handler).
   */
  runUntil(timeUs: number): void {
    if (!(timeUs >= this.time)) {
      throw new KernelError('EINVAL', `cannot run until ${timeUs} µs: now is ${this.time} µs`);
    }
    for (;;) {
      this.dropCancelled();
      const next = this.heap.peek();
      if (next === undefined || next.time > timeUs) break;
      this.heap.pop();
      this.dispatch(next);
    }
    if (timeUs > this.time) this.time = timeUs;
  }

  /**
   * Run every scheduled event (and those they schedule) until none is left.
   * @param maxEvents guard against a model that reschedules forever.
   * @throws KernelError EDEADLK if more than `maxEvents` events ran, or from the storm guard.
   * @returns the number of events run.
   */
  runUntilIdle(maxEvents = 10_000_000): number {
    let ran = 0;
    for (;;) {
      this.dropCancelled();
      const next = this.heap.pop();
      if (next === undefined) return ran;
      this.dispatch(next);
      if (++ran >= maxEvents && this.heap.size > 0) {
        throw new KernelError('EDEADLK', `still busy after ${ran} events`, { now: this.time });
      }
    }
  }

  /**
   * Busy-wait `us` microseconds: virtual time advances and the hardware events due meanwhile run.
   * Kernel counterpart: `udelay()` (and, in this model, `usleep_range()` and `msleep()`).
   */
  udelay(us: number): void {
    if (!Number.isFinite(us) || us < 0) {
      throw new KernelError('EINVAL', `udelay(${us}): not a finite non-negative duration`);
    }
    this.runUntil(this.time + us);
  }

  /** Run one event at its time; then count it for its track and end the run on a storm. */
  private dispatch(event: TimedEvent): void {
    if (event.time > this.time) this.time = event.time;
    event.fn();
    const track = event.track;
    if (track === undefined) return;
    if (track.count === 0 || this.time - track.windowStartUs > this.stormWindowUs) {
      track.count = 1;
      track.windowStartUs = this.time;
      return;
    }
    if (++track.count < this.stormEvents) return;
    const firstUs = track.windowStartUs;
    track.count = 0;
    throw new KernelError(
      'EDEADLK',
      `event storm on track "${track.name}": ${this.stormEvents} events without progress in ${this.time - firstUs} µs`,
      { track: track.name, events: this.stormEvents, firstUs, now: this.time },
    );
  }

  private dropCancelled(): void {
    while (this.heap.peek()?.cancelled === true) this.heap.pop();
  }
}
