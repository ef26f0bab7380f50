import { fc, test } from '@fast-check/vitest';
import { errnoOf, VirtualClock } from '@vfio-sim/platform';
import { VFIO_PCI_BAR2_REGION_INDEX } from '@vfio-sim/vfio-core';
import { describe, expect, it } from 'vitest';
import { type Host, makeHost } from '../__fixtures__/testbed.js';

const HALF = 0x8000;
const BAR2 = VFIO_PCI_BAR2_REGION_INDEX;

/** Record every offset that reaches the VF's BAR2 register file, whatever the path. */
function spyBar2(h: Host): number[] {
  const seen: number[] = [];
  const bar2 = h.vfHw.bar2;
  for (const m of ['readl', 'writel', 'read', 'write'] as const) {
    const orig = bar2[m].bind(bar2) as (...a: unknown[]) => unknown;
    (bar2 as unknown as Record<string, unknown>)[m] = (off: number, ...rest: unknown[]) => {
      const width = m === 'readl' || m === 'writel' ? 4 : (rest[0] as Uint8Array).length;
      seen.push(off + width - 1);
      return orig(off, ...rest);
    };
  }
  return seen;
}

describe('the BAR2 split on every path', () => {
  it('GET_REGION_INFO reports half of BAR2, readable, writable, mmap-capable', () => {
    const h = makeHost(new VirtualClock(), 'h');
    const info = h.handle.getRegionInfo(BAR2);
    expect(info.size).toBe(HALF);
    expect(info.flags & 0x7).toBe(0x7);
    expect(info.caps).toEqual([]);
  });

  it('read and write at or past the half fail with EINVAL; a straddling access is clamped', () => {
    const h = makeHost(new VirtualClock(), 'h');
    const spy = spyBar2(h);
    const base = h.handle.regionOffset(BAR2);
    expect(errnoOf(() => h.handle.pread(base + HALF, 4))).toBe('EINVAL');
    expect(errnoOf(() => h.handle.pwrite(base + 0x8000, Uint8Array.of(1, 2, 3, 4)))).toBe('EINVAL');
    expect(errnoOf(() => h.handle.pread(base + 0xfffc, 4))).toBe('EINVAL');
    expect(h.handle.pread(base + HALF - 4, 64).length).toBe(4);
    expect(spy.every((end) => end < HALF)).toBe(true);
  });

  it('mmap reaching the migration half fails with EINVAL; the functional half maps', () => {
    const h = makeHost(new VirtualClock(), 'h');
    expect(errnoOf(() => h.handle.mmap(BAR2, 0x10000))).toBe('EINVAL');
    expect(errnoOf(() => h.handle.mmap(BAR2, 0x1000, HALF))).toBe('EINVAL');
    expect(errnoOf(() => h.handle.mmap(BAR2, 0x2000, HALF - 0x1000))).toBe('EINVAL');
    const m = h.handle.mmap(BAR2, HALF);
    expect(errnoOf(() => m.readl(HALF))).toBe('EFAULT');
  });

  test.prop(
    [
      fc.array(
        fc.oneof(
          fc.record({
            op: fc.constantFrom('pread', 'pwrite'),
            off: fc.integer({ min: 0, max: 0x10000 + 64 }),
            len: fc.constantFrom(1, 2, 4, 8, 16, 3, 64, 4096),
          }),
          fc.record({
            op: fc.constant('mmap'),
            off: fc.integer({ min: 0, max: 16 }).map((p) => p * 0x1000),
            len: fc.integer({ min: 1, max: 16 }).map((p) => p * 0x1000),
            at: fc.integer({ min: 0, max: 0x10000 }),
          }),
        ),
        { minLength: 1, maxLength: 30 },
      ),
    ],
    { numRuns: 60 },
  )('no offset, width or mapping reaches a migration-control register', (ops) => {
    const h = makeHost(new VirtualClock(), 'h');
    const spy = spyBar2(h);
    const base = h.handle.regionOffset(BAR2);
    for (const o of ops) {
      const run = () => {
        if (o.op === 'pread') h.handle.pread(base + o.off, o.len);
        else if (o.op === 'pwrite') h.handle.pwrite(base + o.off, new Uint8Array(o.len));
        else {
          const m = h.handle.mmap(BAR2, o.len, o.off);
          m.readl(('at' in o ? o.at : 0) & ~3);
        }
      };
      const errno = errnoOf(run);
      if (errno !== undefined) expect(['EINVAL', 'EFAULT']).toContain(errno);
    }
    expect(spy.every((end) => end < HALF)).toBe(true);
    expect((h.hdev as { window: { accesses: number } }).window.accesses).toBe(0);
  });
});
