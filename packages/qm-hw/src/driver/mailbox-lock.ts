import { KernelError } from '@vfio-sim/platform';

/**
 * The per-function mailbox mutex. The model is single-threaded, so a second taker can only be a
 * re-entrant caller (an interrupt handler or deferred work running while a mailbox command waits for
 * completion inside a virtual-time poll). Such a caller cannot sleep on the mutex — the holder cannot
 * resume before it returns — so {@link lock} fails with EBUSY instead of deadlocking; {@link tryLock}
 * lets deferred work retry later, as a work item sleeping on the mutex would.
 *
 * Kernel counterpart: `struct mutex mailbox_lock` in `struct hisi_qm`.
 */
export class MailboxLock {
  private held = false;

  constructor(private readonly owner: string) {}

  /** Whether a mailbox command of this function is in progress. */
  get locked(): boolean {
    return this.held;
  }

  /**
   * Take the lock.
   * @throws KernelError EBUSY if a mailbox command of this function is already in progress.
   */
  lock(): void {
    if (this.held) {
      throw new KernelError('EBUSY', `${this.owner}: mailbox in use by a command still in progress`);
    }
    this.held = true;
  }

  /** Take the lock if free; `false` if it is held. */
  tryLock(): boolean {
    if (this.held) return false;
    this.held = true;
    return true;
  }

  /** Release the lock (`mutex_unlock`). */
  unlock(): void {
    this.held = false;
  }

  /** Run `fn` with the lock held (mutex_lock … mutex_unlock). */
  with<T>(fn: () => T): T {
    this.lock();
    try {
      return fn();
    } finally {
      this.unlock();
    }
  }
}
