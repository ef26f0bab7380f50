import { errnoOf, MAP_PRIVATE } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { testbed } from '../__fixtures__/variant-driver.js';

function opened() {
  const tb = testbed();
  const dev = tb.vfio.openDevice(tb.process, '0000:75:00.1');
  tb.bar2.log.length = 0;
  return { ...tb, dev };
}

describe('mmap of a BAR', () => {
  it('returns a mapping that reaches the BAR at its offset', () => {
    const { dev, bar2 } = opened();
    const m = dev.mmap(2, 0x1000, 0x1000);
    m.writel(0x10, 0x1234_5678);
    expect(bar2.log).toEqual([['w', 0x1010, 4]]);
    expect(m.readl(0x10)).toBe(0x1234_5678);
    expect(m.size).toBe(0x1000);
  });

  it('every later access is bounds-checked (EFAULT), and unmapping revokes it', () => {
    const { dev, bar2 } = opened();
    const m = dev.mmap(4, 0x1000);
    expect(errnoOf(() => m.readl(0x1000))).toBe('EFAULT');
    expect(errnoOf(() => m.writel(-4, 0))).toBe('EFAULT');
    expect(errnoOf(() => m.read(0xffc, new Uint8Array(8)))).toBe('EFAULT');
    m.munmap();
    expect(errnoOf(() => m.readl(0))).toBe('EFAULT');
    expect(bar2.log).toEqual([]);
  });

  it('refuses with EINVAL: outside the BAR, not MAP_SHARED, ROM/config/VGA, not mmap-capable, no region', () => {
    const { dev } = opened();
    expect(errnoOf(() => dev.mmap(4, 0x2000, 0xf000))).toBe('EINVAL');
    expect(errnoOf(() => dev.mmap(4, 0x1000, 0, MAP_PRIVATE))).toBe('EINVAL');
    for (const index of [6, 7, 8]) expect(errnoOf(() => dev.mmap(index, 0x1000))).toBe('EINVAL');
    expect(errnoOf(() => dev.mmap(1, 0x1000))).toBe('EINVAL'); // 256-byte BAR
    expect(errnoOf(() => dev.mmap(0, 0x1000))).toBe('EINVAL'); // absent BAR
    expect(errnoOf(() => dev.mmap(9, 0x1000))).toBe('EINVAL'); // device region without mmap
    expect(errnoOf(() => dev.mmap(10, 0x1000))).toBe('EINVAL'); // out of range
  });

  it('the variant refuses mappings that reach into the second half of BAR2', () => {
    const { dev } = opened();
    expect(dev.mmap(2, 0x8000).size).toBe(0x8000);
    expect(errnoOf(() => dev.mmap(2, 0x1000, 0x8000))).toBe('EINVAL');
    expect(errnoOf(() => dev.mmap(2, 0x9000))).toBe('EINVAL');
  });

  it('a mapping keeps working after VFIO_DEVICE_RESET; close unmaps', () => {
    const { dev, resets } = opened();
    const m = dev.mmap(2, 0x1000);
    dev.reset();
    expect(resets.at(-1)).toBe('vf0');
    m.writel(0, 1);
    dev.close();
    expect(errnoOf(() => m.readl(0))).toBe('EFAULT');
  });
});
