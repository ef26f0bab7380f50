import type { MmioRegion, VirtualClock } from '@vfio-sim/platform';

/**
 * A tiny register-file fake of one QM function for the driver library's unit tests: plain storage,
 * a transaction log, a mailbox that completes after `mbUs` (or never, or with a status), a VFT block
 * whose RDY comes back after an OP_ENABLE, and a cache write-back. Not the device model.
 */
export class FakeQmRegion implements MmioRegion {
  readonly size: number;
  readonly regs = new Map<number, number>();
  readonly log: string[] = [];
  /** Every 16-byte mailbox write, as 4 dwords. */
  readonly mailboxes: number[][] = [];
  /** Every 8-byte write: offset and the two halves. */
  readonly writeqs: { offset: number; lo: number; hi: number }[] = [];
  mbStuck = false;
  mbStatus = 0;
  mbUs = 5;
  /** Result the next read-direction mailbox leaves at 0x304/0x308. */
  mbResult: [number, number] = [0, 0];
  cacheWbStuck = false;
  /** VFT entries written, by `${type}:${fun}`. */
  readonly vft = new Map<string, [number, number]>();

  constructor(
    private readonly clock: VirtualClock,
    size = 0x400000,
  ) {
    this.size = size;
    this.regs.set(0x10006c, 1);
  }

  readl(offset: number): number {
    return this.regs.get(offset) ?? 0;
  }

  writel(offset: number, value: number): void {
    this.log.push(`w4@0x${offset.toString(16)}=${value >>> 0}`);
    this.regs.set(offset, value >>> 0);
    if (offset === 0x100054 && value === 1) {
      const key = `${this.readl(0x10005c)}:${this.readl(0x100060)}`;
      if (this.readl(0x100058) === 0) this.vft.set(key, [this.readl(0x100064), this.readl(0x100068)]);
      else {
        const v = this.vft.get(key) ?? [0, 0];
        this.regs.set(0x100064, v[0]);
        this.regs.set(0x100068, v[1]);
      }
      this.clock.after(2, () => this.regs.set(0x10006c, 1));
    }
    if (offset === 0x204 && value === 1) {
      this.regs.set(0x208, 0);
      if (!this.cacheWbStuck) this.clock.after(20, () => this.regs.set(0x208, 1));
    }
  }

  read(offset: number, data: Uint8Array): void {
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    for (let i = 0; i < data.length; i += 4) dv.setUint32(i, this.readl(offset + i), true);
  }

  write(offset: number, data: Uint8Array): void {
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.log.push(`w${data.length}@0x${offset.toString(16)}`);
    if (data.length === 8) {
      this.writeqs.push({ offset, lo: dv.getUint32(0, true), hi: dv.getUint32(4, true) });
      return;
    }
    const words: number[] = [];
    for (let i = 0; i < data.length; i += 4) words.push(dv.getUint32(i, true));
    if (offset === 0x300 && data.length === 16) {
      this.mailboxes.push(words);
      this.regs.set(0x300, words[0] as number);
      if (this.mbStuck) return;
      this.clock.after(this.mbUs, () => {
        const w0 = (this.readl(0x300) & ~(1 << 13) & ~0x1e00) | ((this.mbStatus & 0xf) << 9);
        this.regs.set(0x300, w0 >>> 0);
        if ((words[0] as number) & (1 << 14)) {
          this.regs.set(0x304, this.mbResult[0]);
          this.regs.set(0x308, this.mbResult[1]);
        }
      });
      return;
    }
    for (let i = 0; i < words.length; i++) this.regs.set(offset + 4 * i, words[i] as number);
  }
}
