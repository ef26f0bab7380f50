import { errnoOf, VirtualClock } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { LINK_10GBIT_BYTES_PER_US, MigrationLink } from './link.js';

describe('MigrationLink', () => {
  it('costs ceil(bytes / bandwidth) µs and runs the events due meanwhile', () => {
    const clock = new VirtualClock();
    const link = new MigrationLink(clock);
    let fired = 0;
    clock.after(2, () => fired++);
    link.send(LINK_10GBIT_BYTES_PER_US * 3 + 1);
    expect(clock.now()).toBe(4);
    expect(fired).toBe(1);
    link.send(0);
    expect(clock.now()).toBe(4);
    expect(link.bytesSent).toBe(LINK_10GBIT_BYTES_PER_US * 3 + 1);
  });

  it('needs a positive speed (EINVAL)', () => {
    const clock = new VirtualClock();
    for (const speed of [0, -1, Number.NaN])
      expect(errnoOf(() => new MigrationLink(clock, speed))).toBe('EINVAL');
  });
});
