import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { errnoOf, KernelError } from '../errno/kernel-error.js';
import { DEFAULT_STORM_EVENTS, DEFAULT_STORM_WINDOW_US, VirtualClock } from './virtual-clock.js';

/** Run `fn`, return what it threw (undefined if nothing). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

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

  describe('event-storm guard', () => {
    /** A source that re-raises itself every `periodUs` without reporting progress. */
    function storm(clock: VirtualClock, periodUs: number, name = 'dev irq 0') {
      const track = clock.track(name);
      let ran = 0;
      const raise = (): void => {
        ran++;
        clock.after(periodUs, raise, track);
      };
      clock.after(periodUs, raise, track);
      return { track, ran: () => ran };
    }

    it('ends a storm after exactly N events with EDEADLK naming the track', () => {
      const clock = new VirtualClock({ stormEvents: 50, stormWindowUs: 1000 });
      const s = storm(clock, 1, 'qm fun 1 irq 0');
      const e = thrown(() => clock.runUntilIdle());
      expect(e).toBeInstanceOf(KernelError);
      expect((e as KernelError).errno).toBe('EDEADLK');
      expect((e as KernelError).message).toContain('qm fun 1 irq 0');
      expect((e as KernelError).context).toEqual({
        track: 'qm fun 1 irq 0',
        events: 50,
        firstUs: 1,
        now: 50,
      });
      expect(s.ran()).toBe(50);
      expect(clock.now()).toBe(50);
    });

    it('fires from runUntil and udelay too (a driver busy-waiting inside the storm)', () => {
      const clock = new VirtualClock({ stormEvents: 10, stormWindowUs: 100 });
      const s = storm(clock, 2);
      expect(errnoOf(() => clock.udelay(1000))).toBe('EDEADLK');
      expect(s.ran()).toBe(10);
      const again = new VirtualClock({ stormEvents: 10, stormWindowUs: 100 });
      storm(again, 2);
      expect(errnoOf(() => again.runUntil(1000))).toBe('EDEADLK');
    });

    it('progress reported by the source keeps a busy source running', () => {
      const clock = new VirtualClock({ stormEvents: 10, stormWindowUs: 1000 });
      const track = clock.track('busy');
      let ran = 0;
      const raise = (): void => {
        ran++;
        track.progress();
        if (ran < 500) clock.after(1, raise, track);
      };
      clock.after(1, raise, track);
      expect(clock.runUntilIdle()).toBe(500);
    });

    it('events of other tracks are not progress: a storm next to a healthy source still ends', () => {
      const clock = new VirtualClock({ stormEvents: 100, stormWindowUs: 10_000 });
      const healthy = clock.track('healthy');
      const tick = (): void => {
        healthy.progress();
        clock.after(3, tick, healthy);
      };
      clock.after(3, tick, healthy);
      const s = storm(clock, 1, 'stormy');
      const e = thrown(() => clock.runUntilIdle()) as KernelError;
      expect(e.context?.track).toBe('stormy');
      expect(s.ran()).toBe(100);
    });

    it('a source slower than N events per M µs never trips (N events span more than M)', () => {
      const clock = new VirtualClock({ stormEvents: 10, stormWindowUs: 100 });
      const track = clock.track('slow');
      let ran = 0;
      const raise = (): void => {
        if (++ran < 1000) clock.after(12, raise, track);
      };
      clock.after(12, raise, track);
      expect(clock.runUntilIdle()).toBe(1000);
    });

    it('events without a track are never counted', () => {
      const clock = new VirtualClock({ stormEvents: 2, stormWindowUs: 1000 });
      let ran = 0;
      const tick = (): void => {
        if (++ran < 100) clock.after(1, tick);
      };
      clock.after(1, tick);
      expect(clock.runUntilIdle()).toBe(100);
    });

    it('Infinity turns the guard off; the defaults are documented constants', () => {
      const off = new VirtualClock({ stormEvents: Number.POSITIVE_INFINITY });
      storm(off, 1);
      expect(errnoOf(() => off.runUntilIdle(50_000))).toBe('EDEADLK'); // only runUntilIdle's budget stops it
      const clock = new VirtualClock();
      expect([clock.stormEvents, clock.stormWindowUs]).toEqual([
        DEFAULT_STORM_EVENTS,
        DEFAULT_STORM_WINDOW_US,
      ]);
      const s = storm(clock, 1);
      expect(errnoOf(() => clock.runUntilIdle())).toBe('EDEADLK');
      expect(s.ran()).toBe(DEFAULT_STORM_EVENTS);
    });

    it('rejects a bad N or M with EINVAL', () => {
      expect(errnoOf(() => new VirtualClock({ stormEvents: 1 }))).toBe('EINVAL');
      expect(errnoOf(() => new VirtualClock({ stormEvents: 2.5 }))).toBe('EINVAL');
      expect(errnoOf(() => new VirtualClock({ stormWindowUs: 0 }))).toBe('EINVAL');
      expect(errnoOf(() => new VirtualClock({ stormWindowUs: Number.POSITIVE_INFINITY }))).toBe('EINVAL');
      expect(errnoOf(() => new VirtualClock({ startUs: -1 }))).toBe('EINVAL');
      expect(new VirtualClock({ startUs: 7 }).now()).toBe(7);
    });
  });
});
