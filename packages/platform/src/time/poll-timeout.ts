import { KernelError } from '../errno/kernel-error.js';
import type { VirtualClock } from './virtual-clock.js';

/**
 * Poll `read()` until `done(value)` holds, sleeping `periodUs` of virtual time between reads, giving up
 * after `timeoutUs`.
 *
 * Kernel counterpart: `readl_relaxed_poll_timeout()` / `read_poll_timeout()` (include/linux/iopoll.h):
 * read; if the condition holds, succeed; if the deadline has passed, read **one last time** and succeed
 * only if that read satisfies the condition; otherwise sleep and repeat. `timeoutUs` 0 polls forever.
 *
 * @returns the value that satisfied the condition.
 * @throws KernelError ETIMEDOUT after the deadline, with the last value read in its context.
 */
export function pollTimeout<T>(
  clock: VirtualClock,
  read: () => T,
  done: (value: T) => boolean,
  periodUs: number,
  timeoutUs: number,
): T {
  if (!(periodUs >= 0) || !(timeoutUs >= 0)) {
    throw new KernelError('EINVAL', `poll period ${periodUs} µs / timeout ${timeoutUs} µs must be >= 0`);
  }
  const deadline = clock.now() + timeoutUs;
  for (;;) {
    let value = read();
    if (done(value)) return value;
    if (timeoutUs !== 0 && clock.now() > deadline) {
      value = read();
      if (done(value)) return value;
      throw new KernelError('ETIMEDOUT', `condition not met within ${timeoutUs} µs`, {
        last: value,
        periodUs,
        timeoutUs,
      });
    }
    // A zero period would spin at one instant forever; the kernel's usleep_range(0, 0) still yields.
    clock.udelay(periodUs === 0 ? 1 : periodUs);
  }
}
