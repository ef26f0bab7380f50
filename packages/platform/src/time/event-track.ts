/**
 * A named source of events on a {@link VirtualClock}: every event scheduled with it counts towards the
 * clock's event-storm guard until the source reports progress.
 *
 * A source is whatever re-raises on its own: a device's interrupt line (`qm fun 1 irq 0`), a timer that
 * re-arms itself, a poll loop unrolled into events. Progress is what the source itself knows it made:
 * the consumer took an entry, a new cause arrived. Events of other tracks do not count as progress —
 * a storm next to a busy but healthy device (a job completing every few µs) must still be caught.
 *
 * Kernel counterpart, loosely: the spurious-interrupt detector of `note_interrupt()` (kernel/irq/spurious.c),
 * which disables an IRQ line that keeps firing while no handler claims it.
 */
export class EventTrack {
  /** Events of this track since its last progress, in the current window. */
  count = 0;
  /** Virtual time (µs) of the first event counted in the current window. */
  windowStartUs = 0;

  constructor(
    /** The track's name, as the trace shows it (e.g. `qm fun 1 irq 0`). */
    readonly name: string,
  ) {}

  /** The source made progress: its count of events without progress starts again from zero. */
  progress(): void {
    this.count = 0;
  }
}
