import { describe, expect, it } from 'vitest';
import { GuestMemory } from '../memory/guest-memory.js';
import { IdentityDmaPort } from './dma-port.js';
import { isMmioWidth, type MmioRegion, readq, writeq } from './mmio.js';

/** A 64-byte register file that records each transaction's width. */
class RecordingRegion implements MmioRegion {
  readonly size = 64;
  readonly bytes = new Uint8Array(64);
  readonly log: string[] = [];
  readl(offset: number): number {
    return new DataView(this.bytes.buffer).getUint32(offset, true);
  }
  writel(offset: number, value: number): void {
    new DataView(this.bytes.buffer).setUint32(offset, value, true);
  }
  read(offset: number, data: Uint8Array): void {
    this.log.push(`r${data.length}@${offset}`);
    data.set(this.bytes.subarray(offset, offset + data.length));
  }
  write(offset: number, data: Uint8Array): void {
    this.log.push(`w${data.length}@${offset}`);
    this.bytes.set(data, offset);
  }
}

describe('MMIO helpers', () => {
  it('writeq is one 8-byte transaction, little-endian, from two halves', () => {
    const r = new RecordingRegion();
    writeq(r, 8, 0x0001_3003, 0x0001_0000);
    expect(r.log).toEqual(['w8@8']);
    expect(readq(r, 8)).toBe(0x0001_0000_0001_3003n);
    expect(r.log).toEqual(['w8@8', 'r8@8']);
  });

  it('knows the legal widths', () => {
    expect([1, 2, 4, 8, 16].every(isMmioWidth)).toBe(true);
    expect([0, 3, 32].some(isMmioWidth)).toBe(false);
  });
});

describe('IdentityDmaPort', () => {
  it('maps IOVA 1:1 onto guest memory', () => {
    const mem = new GuestMemory(1 << 20);
    const dma = new IdentityDmaPort(mem);
    dma.writeU32(0x1000, 0xcafe_f00d);
    dma.writeU16(0x1004, 0xbeef);
    expect(mem.readU32(0x1000)).toBe(0xcafe_f00d);
    expect(dma.readU32(0x1000)).toBe(0xcafe_f00d);
    const out = new Uint8Array(6);
    dma.read(0x1000, out);
    expect([...out]).toEqual([0x0d, 0xf0, 0xfe, 0xca, 0xef, 0xbe]);
    dma.write(0x2000, Uint8Array.of(1, 2));
    expect(mem.readU16(0x2000)).toBe(0x0201);
  });
});
