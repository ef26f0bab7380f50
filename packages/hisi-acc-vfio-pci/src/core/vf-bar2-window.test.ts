import { errnoOf } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { VfBar2Window } from './vf-bar2-window.js';

class Regs {
  readonly size = 0x10000;
  readonly words = new Uint32Array(0x4000);
  readl(o: number) {
    return this.words[o >> 2]!;
  }
  writel(o: number, v: number) {
    this.words[o >> 2] = v;
  }
  read(o: number, d: Uint8Array) {
    d.set(new Uint8Array(this.words.buffer, o, d.length));
  }
  write(o: number, d: Uint8Array) {
    new Uint8Array(this.words.buffer, o, d.length).set(d);
  }
}

describe('VfBar2Window', () => {
  it('refuses every access while unmapped with EIO, reaching nothing', () => {
    const regs = new Regs();
    const w = new VfBar2Window(regs, 'vf');
    expect(errnoOf(() => w.writel(0x60, 1))).toBe('EIO');
    expect(errnoOf(() => w.readl(0x8000))).toBe('EIO');
    expect(errnoOf(() => w.write(0x300, new Uint8Array(16)))).toBe('EIO');
    expect(errnoOf(() => w.read(0x0, new Uint8Array(8)))).toBe('EIO');
    expect(regs.words.every((x) => x === 0)).toBe(true);
    expect(w.refused).toBe(4);
    expect(w.accesses).toBe(0);
  });

  it('passes accesses through while mapped and counts them', () => {
    const regs = new Regs();
    const w = new VfBar2Window(regs, 'vf');
    w.ioremap();
    w.map();
    w.writel(0x8000, 0x1234);
    expect(w.readl(0x8000)).toBe(0x1234);
    expect(w.accesses).toBe(2);
    w.unmap();
    expect(w.isMapped).toBe(false);
    expect(w.size).toBe(0x10000);
  });

  it('the gate opens only inside the host mapping: map() without ioremap() is EIO; iounmap() closes both', () => {
    const w = new VfBar2Window(new Regs(), 'vf');
    expect(errnoOf(() => w.map())).toBe('EIO');
    expect(w.isMapped).toBe(false);
    w.failIoremap = true;
    expect(errnoOf(() => w.ioremap())).toBe('EIO');
    expect(w.isIoremapped).toBe(false);
    w.failIoremap = false;
    w.ioremap();
    w.map();
    w.iounmap();
    expect([w.isMapped, w.isIoremapped]).toEqual([false, false]);
    expect(errnoOf(() => w.readl(0))).toBe('EIO');
  });
});
