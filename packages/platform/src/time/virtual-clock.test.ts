import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { errnoOf } from '../errno/kernel-error.js';
import { VirtualClock } from './virtual-clock.js';

describe('VirtualClock', () => {
  it('runs events in time order, same-time events in scheduling order', () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    clock.at(20, () => log.push(`b@${clock.now()}`));
    clock.at(10, () => log.push(`a@${clock.now()}`));
    clock.at(20, () => log.push(`c@${clock.now()}`));
    clock.runUntilIdle();
    expect(log).toEqual(['a@10', 'b@20', 'c@20']);
    expect(clock.now()).toBe(20);
  });

  it('runUntil stops at the target time and runs nothing later', () => {
    const clock = new VirtualClock();
    const log: number[] = [];
    clock.after(5, () => log.push(5));
    clock.after(15, () => log.push(15));
    clock.runUntil(10);
    expect(log).toEqual([5]);
    expect(clock.now()).toBe(10);
    expect(clock.nextEventTime()).toBe(15);
  });

  it('udelay lets hardware events due in the window run (a busy-wait sees a completion)', () => {
    const clock = new VirtualClock();
    let busy = true;
    clock.after(30, () => {
      busy = false;
    });
    clock.udelay(10);
    expect(busy).toBe(true);
    clock.udelay(25);
    expect(busy).toBe(false);
    expect(clock.now()).toBe(35);
  });

  it('is re-entrant: an event may busy-wait and see later events', () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    clock.at(10, () => {
      log.push('irq');
      clock.udelay(10);
      log.push(`irq done @${clock.now()}`);
    });
    clock.at(15, () => log.push('completion'));
    clock.runUntilIdle();
    expect(log).toEqual(['irq', 'completion', 'irq done @20']);
  });

  it('cancel removes a pending event', () => {
    const clock = new VirtualClock();
    let ran = false;
    const h = clock.after(10, () => {
      ran = true;
    });
    clock.cancel(h);
    expect(clock.runUntilIdle()).toBe(0);
    expect(ran).toBe(false);
  });

  it('rejects scheduling in the past and bad durations with EINVAL, changing nothing', () => {
    const clock = new VirtualClock(100);
    expect(errnoOf(() => clock.at(99, () => {}))).toBe('EINVAL');
    expect(errnoOf(() => clock.after(-1, () => {}))).toBe('EINVAL');
    expect(errnoOf(() => clock.after(Number.NaN, () => {}))).toBe('EINVAL');
    expect(errnoOf(() => clock.udelay(-5))).toBe('EINVAL');
    expect(errnoOf(() => clock.runUntil(50))).toBe('EINVAL');
    expect(errnoOf(() => new VirtualClock(-1))).toBe('EINVAL');
    expect(clock.now()).toBe(100);
    expect(clock.pending).toBe(0);
  });

  it('runUntilIdle stops a model that reschedules forever with EDEADLK', () => {
    const clock = new VirtualClock();
    const tick = (): void => {
      clock.after(1, tick);
    };
    clock.after(1, tick);
    expect(errnoOf(() => clock.runUntilIdle(1000))).toBe('EDEADLK');
  });

  test.prop([fc.array(fc.tuple(fc.nat(1000), fc.nat(1000)), { maxLength: 50 })])(
    'any schedule runs in (time, seq) order and time never goes back',
    (specs) => {
      const clock = new VirtualClock();
      const ran: [number, number][] = [];
      specs.forEach(([t], i) => {
        clock.at(t, () => ran.push([clock.now(), i]));
      });
      clock.runUntilIdle();
      const expected = specs
        .map(([t], i) => [t, i] as [number, number])
        .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      expect(ran).toEqual(expected);
    },
  );
});
