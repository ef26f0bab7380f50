import { GuestMemory } from '@vfio-sim/platform';
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
