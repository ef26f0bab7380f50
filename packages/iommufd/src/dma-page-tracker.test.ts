import { errnoOf, GuestMemory, IdentityDmaPort, UserMemory } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { combineIovaRanges, DmaPageTracker, LOG_MAX_RANGES } from './dma-page-tracker.js';
import { IovaBitmap } from './iova-bitmap.js';

const PS = 4096;

function report(t: DmaPageTracker, iova: number, length: number, ps = PS): number[] {
  const mm = new UserMemory();
  const data = mm.alloc(Math.ceil(length / ps / 64) * 8 + 8, 8);
  t.logReadAndClear(iova, length, new IovaBitmap(mm, iova, length, ps, data));
  const b = new IovaBitmap(mm, iova, length, ps, data);
  const out: number[] = [];
  for (let i = 0; i < length / ps; i++) if (b.test(iova + i * ps)) out.push(i);
  return out;
}

describe('DmaPageTracker (device DMA logging)', () => {
  it('logs writes through the wrapped port; report is read-and-clear', () => {
    const t = new DmaPageTracker();
    const port = t.wrap(new IdentityDmaPort(new GuestMemory(1 << 20)));
    expect(t.logStart([{ iova: 0, length: 1 << 20 }], PS)).toBe(PS);
    port.writeU32(3 * PS + 2, 1);
    port.write(10 * PS - 2, new Uint8Array(4)); // straddles pages 9 and 10
    port.readU32(20 * PS); // reads are not logged
    expect(report(t, 0, 1 << 20)).toEqual([3, 9, 10]);
    expect(report(t, 0, 1 << 20)).toEqual([]);
  });

  it('granularity: device 4 KiB, report 8 KiB → one bit; device 8 KiB, report 4 KiB → two bits', () => {
    const t = new DmaPageTracker();
    t.logStart([{ iova: 0, length: 64 * PS }], PS);
    t.recordWrite(3 * PS, 1);
    expect(report(t, 0, 64 * PS, 2 * PS)).toEqual([1]);
    t.logStop();
    expect(t.logStart([{ iova: 0, length: 64 * PS }], 2 * PS)).toBe(2 * PS);
    t.recordWrite(2 * PS, 1);
    expect(report(t, 0, 64 * PS, PS)).toEqual([2, 3]);
  });

  it('page size is clamped to the device bounds', () => {
    const t = new DmaPageTracker({ logMinPageSize: 13, logMaxPageSize: 21 });
    expect(t.logStart([{ iova: 0, length: 1 << 22 }], PS)).toBe(8192);
    t.logStop();
    expect(t.logStart([{ iova: 0, length: 1 << 22 }], 1 << 22)).toBe(2 << 20);
  });

  it('start validation: each errno, and a failed start leaves tracking off', () => {
    const t = new DmaPageTracker();
    expect(errnoOf(() => t.logStart([], PS))).toBe('EINVAL');
    const many = Array.from({ length: LOG_MAX_RANGES + 1 }, (_, i) => ({ iova: i * 2 * PS, length: PS }));
    expect(errnoOf(() => t.logStart(many, PS))).toBe('E2BIG');
    expect(errnoOf(() => t.logStart([{ iova: 100, length: PS }], PS))).toBe('EINVAL');
    expect(errnoOf(() => t.logStart([{ iova: 2 ** 53 - PS, length: 2 * PS }], PS))).toBe('EOVERFLOW');
    expect(
      errnoOf(() =>
        t.logStart(
          [
            { iova: 0, length: 2 * PS },
            { iova: PS, length: PS },
          ],
          PS,
        ),
      ),
    ).toBe('EINVAL');
    expect(t.active).toBe(false);
    expect(errnoOf(() => report(t, 0, PS))).toBe('EINVAL');
    t.logStart([{ iova: 0, length: PS }], PS);
    expect(errnoOf(() => t.logStart([{ iova: 0, length: PS }], PS))).toBe('EINVAL');
    t.logStop();
    t.logStop(); // stop when stopped is fine
  });

  it('more ranges than the device supports are combined (smallest gap first); gaps become tracked', () => {
    expect(
      combineIovaRanges(
        [
          { iova: 0, last: 0xfff },
          { iova: 0x2000, last: 0x2fff },
          { iova: 0x10000, last: 0x10fff },
        ],
        2,
      ),
    ).toEqual([
      { iova: 0, last: 0x2fff },
      { iova: 0x10000, last: 0x10fff },
    ]);
    const t = new DmaPageTracker({ maxRanges: 1 });
    t.logStart(
      [
        { iova: 0, length: PS },
        { iova: 8 * PS, length: PS },
      ],
      PS,
    );
    expect(t.trackedRanges).toEqual([{ iova: 0, last: 9 * PS - 1 }]);
    t.recordWrite(4 * PS, 1); // inside the merged gap: false-positive dirty, as upstream
    expect(report(t, 0, 16 * PS)).toEqual([4]);
  });
});
