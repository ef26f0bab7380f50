import { KernelError } from '../errno/kernel-error.js';
import { EventHeap, type TimedEvent } from './event-heap.js';

/** A handle for a scheduled event; pass it to {@link VirtualClock.cancel}. */
export interface TimerHandle {
  readonly time: number;
}

/** Anything that tells the virtual time in microseconds (a clock, or a view of one). */
export interface TimeSource {
  /** Current virtual time in microseconds (kernel counterpart: `ktime_get()`, in µs). */
  now(): number;
}

/**
 * Virtual time in microseconds and the discrete-event scheduler that advances it.
 *
 * The model never sleeps on the wall clock. Hardware latencies are events scheduled on this clock; a
 * driver that busy-waits (`udelay`, `readl_relaxed_poll_timeout`) advances virtual time, and the events
 * due in that window (a mailbox completing, a DMA finishing) run as time passes. Same schedule, same
 * order: events due at the same microsecond run in scheduling order.
 *
 * Kernel counterparts: `ktime_get()` ({@link now}), `udelay()`/`usleep_range()` ({@link udelay}), timers
 * and delayed work ({@link after}).
 */
export class VirtualClock implements TimeSource {
  private time = 0;
  private seq = 0;
  private readonly heap = new EventHeap();

  /** @param startUs the initial virtual time (default 0). */
  constructor(startUs = 0) {
    if (!Number.isFinite(startUs) || startUs < 0) {
      throw new KernelError('EINVAL', `clock start ${startUs} µs is not a finite non-negative time`);
    }
    this.time = startUs;
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
   * Schedule `fn` at absolute virtual time `timeUs` (not before now).
   * @throws KernelError EINVAL if the time is in the past or not finite.
   */
  at(timeUs: number, fn: () => void): TimerHandle {
    if (!Number.isFinite(timeUs) || timeUs < this.time) {
      throw new KernelError('EINVAL', `cannot schedule at ${timeUs} µs: now is ${this.time} µs`);
    }
    const event: TimedEvent = { time: timeUs, seq: this.seq++, fn, cancelled: false };
    this.heap.push(event);
    return event;
  }

  /** Schedule `fn` `delayUs` microseconds from now (0 = later in this instant, after what is queued). */
  after(delayUs: number, fn: () => void): TimerHandle {
    if (!Number.isFinite(delayUs) || delayUs < 0) {
      throw new KernelError('EINVAL', `delay ${delayUs} µs is not a finite non-negative duration`);
    }
    return this.at(this.time + delayUs, fn);
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
      if (next.time > this.time) this.time = next.time;
      next.fn();
    }
    if (timeUs > this.time) this.time = timeUs;
  }

  /**
   * Run every scheduled event (and those they schedule) until none is left.
   * @param maxEvents guard against a model that reschedules forever.
   * @throws KernelError EDEADLK if more than `maxEvents` events ran.
   * @returns the number of events run.
   */
  runUntilIdle(maxEvents = 10_000_000): number {
    let ran = 0;
    for (;;) {
      this.dropCancelled();
      const next = this.heap.pop();
      if (next === undefined) return ran;
      if (next.time > this.time) this.time = next.time;
      next.fn();
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

  private dropCancelled(): void {
    while (this.heap.peek()?.cancelled === true) this.heap.pop();
  }
}
