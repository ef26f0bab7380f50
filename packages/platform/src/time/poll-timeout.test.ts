import { describe, expect, it } from 'vitest';
import { KernelError } from '../errno/kernel-error.js';
import { pollTimeout } from './poll-timeout.js';
import { VirtualClock } from './virtual-clock.js';

describe('pollTimeout (readl_relaxed_poll_timeout semantics)', () => {
  it('returns at once when the first read satisfies the condition', () => {
    const clock = new VirtualClock();
    expect(
      pollTimeout(
        clock,
        () => 7,
        (v) => v === 7,
        10,
        1000,
      ),
    ).toBe(7);
    expect(clock.now()).toBe(0);
  });

  it('sees a hardware event that completes while it sleeps', () => {
    const clock = new VirtualClock();
    let reg = 1;
    clock.after(35, () => {
      reg = 0;
    });
    expect(
      pollTimeout(
        clock,
        () => reg,
        (v) => v === 0,
        10,
        1000,
      ),
    ).toBe(0);
    expect(clock.now()).toBe(40);
  });

  it('times out with ETIMEDOUT after the deadline, having read once more after it', () => {
    const clock = new VirtualClock();
    const reads: number[] = [];
    try {
      pollTimeout(
        clock,
        () => {
          reads.push(clock.now());
          return 1;
        },
        (v) => v === 0,
        10,
        100,
      );
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(KernelError);
      expect((e as KernelError).errno).toBe('ETIMEDOUT');
      expect((e as KernelError).context).toMatchObject({ last: 1, timeoutUs: 100 });
    }
    // reads at 0,10,…,100 (not past the deadline), then 110 is past it: read, read again, give up.
    expect(reads.slice(-3)).toEqual([100, 110, 110]);
    expect(clock.now()).toBe(110);
  });

  it('succeeds if the one last read after the deadline satisfies the condition', () => {
    const clock = new VirtualClock();
    let n = 0;
    // The condition becomes true exactly at the extra read that follows the deadline check.
    const value = pollTimeout(
      clock,
      () => (clock.now() > 50 && ++n === 2 ? 0 : 1),
      (v) => v === 0,
      10,
      50,
    );
    expect(value).toBe(0);
  });

  it('rejects negative periods and timeouts with EINVAL', () => {
    const clock = new VirtualClock();
    expect(() =>
      pollTimeout(
        clock,
        () => 0,
        () => true,
        -1,
        10,
      ),
    ).toThrow(/EINVAL/);
    expect(() =>
      pollTimeout(
        clock,
        () => 0,
        () => true,
        1,
        -10,
      ),
    ).toThrow(/EINVAL/);
  });
});
