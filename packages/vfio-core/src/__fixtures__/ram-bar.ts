import type { MmioRegion } from '@vfio-sim/platform';

/**
 * A plain register file for tests: `size` bytes of RAM behind a BAR, with a log of every transaction
 * (offset and width) so tests can see exactly what reached the device — and that nothing did.
 */
export class RamBar implements MmioRegion {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  /** Every transaction: [kind, offset, width]. */
  readonly log: ['r' | 'w', number, number][] = [];
  logging = true;

  constructor(readonly size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }

  readl(offset: number): number {
    this.check(offset, 4);
    if (this.logging) this.log.push(['r', offset, 4]);
    return this.view.getUint32(offset, true);
  }

  writel(offset: number, value: number): void {
    this.check(offset, 4);
    if (this.logging) this.log.push(['w', offset, 4]);
    this.view.setUint32(offset, value >>> 0, true);
  }

  read(offset: number, data: Uint8Array): void {
    this.check(offset, data.length);
    if (this.logging) this.log.push(['r', offset, data.length]);
    data.set(this.bytes.subarray(offset, offset + data.length));
  }

  write(offset: number, data: Uint8Array): void {
    this.check(offset, data.length);
    if (this.logging) this.log.push(['w', offset, data.length]);
    this.bytes.set(data, offset);
  }

  /** A device never sees an access outside its BAR: the model would be broken if it did. */
  private check(offset: number, width: number): void {
    if (!(offset >= 0 && offset + width <= this.size && offset % width === 0)) {
      throw new Error(`RamBar: access of ${width} at ${offset} outside/unaligned (size ${this.size})`);
    }
  }
}
