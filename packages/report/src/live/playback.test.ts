import { errnoOf } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { LIVE_US_PER_SECOND, parseSpeed, playbackAt } from './playback.js';

describe('playback pacing', () => {
  it('maps wall time to virtual time at the speed, from where it started, never past the end', () => {
    expect(playbackAt(0, 1000, 1, 10_000)).toBe(LIVE_US_PER_SECOND);
    expect(playbackAt(200, 500, 4, 10_000)).toBe(200 + 2 * LIVE_US_PER_SECOND);
    expect(playbackAt(0, 1000, 0.5, 10_000)).toBe(LIVE_US_PER_SECOND / 2);
    expect(playbackAt(900, 60_000, 50, 1000)).toBe(1000);
    expect(playbackAt(0, 1, 1, 1000)).toBe(0); // whole µs only
  });

  it('reads a speed; anything but a number in range is EINVAL', () => {
    expect(parseSpeed('2')).toBe(2);
    expect(parseSpeed('0.25')).toBe(0.25);
    for (const bad of ['', ' ', '0', '-1', 'fast', 'NaN', 'Infinity', '1e9'])
      expect(errnoOf(() => parseSpeed(bad))).toBe('EINVAL');
  });
});
