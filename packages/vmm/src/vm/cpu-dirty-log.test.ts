import { errnoOf, GuestMemory, IdentityDmaPort } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { DeviceDmaPort } from '../devices/device-dma-port.js';
import { CpuDirtyLog } from './cpu-dirty-log.js';
import { PageBitmap } from './page-bitmap.js';

const pagesOf = (b: PageBitmap) => b.toArray();

describe('CpuDirtyLog', () => {
  it('logs the pages CPU writes touch once started, and read-and-clear empties it', () => {
    const mem = new GuestMemory(1 << 20);
    const log = new CpuDirtyLog(mem);
    mem.writeU32(0x1000, 1); // before start: not logged
    log.start();
    mem.writeU32(0x3000, 1);
    mem.write(0x4ffe, Uint8Array.of(1, 2, 3)); // straddles pages 4 and 5
    mem.fill(0x9000, 0x2000, 0); // a fill counts too (pages 9, 10)
    const into = new PageBitmap(256);
    expect(log.readAndClear(into)).toBe(5);
    expect(pagesOf(into)).toEqual([3, 4, 5, 9, 10]);
    expect(log.readAndClear(new PageBitmap(256))).toBe(0);
    log.stop();
    mem.writeU32(0x3000, 2);
    expect(log.bitmap.count()).toBe(0);
  });

  it('does not log device DMA through a DeviceDmaPort, even when the DMA fails', () => {
    const mem = new GuestMemory(1 << 20);
    const log = new CpuDirtyLog(mem);
    const port = new DeviceDmaPort(new IdentityDmaPort(mem), log);
    log.start();
    port.writeU32(0x2000, 7);
    port.writeU16(0x2004, 7);
    port.write(0x5000, Uint8Array.of(1));
    expect(errnoOf(() => port.writeU32(1 << 20, 1))).toBe('EFAULT');
    expect(log.bitmap.count()).toBe(0);
    expect(port.readU32(0x2000)).toBe(7);
    mem.writeU8(0x2000, 1); // the CPU writing afterwards is logged again
    expect(pagesOf(log.bitmap)).toEqual([2]);
  });

  it('refuses an unbalanced endDeviceDma (EINVAL, logging unaffected)', () => {
    const mem = new GuestMemory(1 << 20);
    const log = new CpuDirtyLog(mem);
    log.start();
    expect(errnoOf(() => log.endDeviceDma())).toBe('EINVAL');
    mem.writeU8(0, 1);
    expect(log.bitmap.count()).toBe(1);
  });
});
