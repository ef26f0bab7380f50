import { errnoOf, GuestMemory } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { IommuDevice, IommuHw } from './iommu-hw.js';
import { openIommufd } from './iommufd-ctx.js';
import { PhysMap } from './phys-map.js';

describe('PhysMap', () => {
  it('gives each memory its own 1 GiB-aligned range and finds it again', () => {
    const phys = new PhysMap();
    const a = new GuestMemory(1 << 20);
    const b = new GuestMemory(3 * 2 ** 30);
    const pa = phys.baseOf(a);
    const pb = phys.baseOf(b);
    expect(phys.baseOf(a)).toBe(pa);
    expect(pa % 2 ** 30).toBe(0);
    expect(pb % 2 ** 30).toBe(0);
    expect(pb).toBeGreaterThanOrEqual(pa + 2 ** 30);
    expect(phys.lookup(pb + 5).memory).toBe(b);
    expect(phys.lookup(pa + 5).memory).toBe(a);
  });

  it('an IOMMU with its own physical map translates DMA into the IOAS memory', () => {
    const ctx = openIommufd().privateData;
    const memory = new GuestMemory(1 << 20);
    const dev = new IommuDevice(new IommuHw({ format: 'amd-v1', phys: new PhysMap() }), 'vf0');
    const devId = ctx.bindDevice(dev);
    const ioas = ctx.allocIoas();
    ctx.ioas(ioas).map(memory, 0, 1 << 20, 0, { read: true, write: true });
    ctx.attachDevice(devId, ctx.allocHwpt(devId, ioas));
    dev.dmaPort.writeU32(0x2000, 0xfeed_f00d);
    expect(memory.readU32(0x2000)).toBe(0xfeed_f00d);
  });
});

describe('PhysMap pins', () => {
  it('the last unpin frees the range at once: the next memory takes it; a second pin keeps it', () => {
    const phys = new PhysMap();
    const a = new GuestMemory(1 << 20);
    const pa = phys.pin(a);
    expect(phys.pin(a)).toBe(pa);
    phys.unpin(a);
    expect(phys.pinCount(a)).toBe(1);
    expect(phys.lookup(pa).memory).toBe(a);
    phys.unpin(a);
    expect(phys.pinCount(a)).toBe(0);
    expect(errnoOf(() => phys.lookup(pa))).toBe('EFAULT');
    const b = new GuestMemory(1 << 20);
    expect(phys.pin(b)).toBe(pa);
  });

  it('unpin of a memory with no pin is EINVAL and changes nothing', () => {
    const phys = new PhysMap();
    const a = new GuestMemory(1 << 20);
    const pa = phys.pin(a);
    expect(errnoOf(() => phys.unpin(new GuestMemory(1 << 20)))).toBe('EINVAL');
    expect(phys.pinCount(a)).toBe(1);
    expect(phys.lookup(pa).memory).toBe(a);
  });

  it('an IOAS pins what it maps and unpins it at unmap: 10,000 map/unmap cycles of fresh memories reuse one range', () => {
    const ctx = openIommufd().privateData;
    const dev = new IommuDevice(new IommuHw({ format: 'amd-v1' }), 'vf0');
    const devId = ctx.bindDevice(dev);
    const id = ctx.allocIoas();
    const ioas = ctx.ioas(id);
    ctx.attachDevice(devId, ctx.allocHwpt(devId, id));
    const { phys } = ioas;
    let first: number | undefined;
    for (let i = 0; i < 10_000; i++) {
      const memory = new GuestMemory(1 << 20);
      ioas.map(memory, 0, 1 << 20, 0, { read: true, write: true });
      const { pa } = ioas.mappings[0]!;
      expect(phys.lookup(pa).memory).toBe(memory);
      first ??= pa;
      expect(pa).toBe(first);
      expect(phys.pinCount(memory)).toBe(1);
      ioas.unmapAll();
      expect(phys.pinCount(memory)).toBe(0);
    }
  });

  it('a mapping cut in two is pinned twice; unmapping both halves unpins it', () => {
    const ctx = openIommufd().privateData;
    const ioas = ctx.ioas(ctx.allocIoas());
    const memory = new GuestMemory(2 << 20);
    ioas.map(memory, 0, 2 << 20, 0, { read: true, write: true });
    ioas.cutIova([(1 << 20) - 1]);
    expect(ioas.mappings).toHaveLength(2);
    expect(ioas.phys.pinCount(memory)).toBe(2);
    ioas.unmap(0, 1 << 20);
    expect(ioas.phys.pinCount(memory)).toBe(1);
    ioas.unmapAll();
    expect(ioas.phys.pinCount(memory)).toBe(0);
  });
});
