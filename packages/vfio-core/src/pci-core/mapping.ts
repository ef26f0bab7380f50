import { KernelError, type MmioRegion } from '@vfio-sim/platform';

/**
 * A user mapping of part of a BAR (the model's VMA): `size` bytes starting `base` bytes into the BAR.
 * Every access is checked against the mapping (outside, or after {@link munmap}: EFAULT — the model's
 * SIGBUS) before it reaches the device, so a mapping can never reach beyond what mmap granted.
 *
 * Kernel counterpart: the VMA set up by `vfio_pci_core_mmap` (`io_remap_pfn_range` /
 * `vfio_pci_mmap_fault`).
 */
export class VfioPciMapping implements MmioRegion {
  private mapped = true;
  /** Accesses must end at or before this offset (the mapping, clipped to the BAR). */
  private readonly limit: number;

  constructor(
    /** The BAR's register space. */
    readonly bar: MmioRegion,
    /** Offset of the mapping in the BAR. */
    readonly base: number,
    /** Bytes mapped. */
    readonly size: number,
    /** Region index (for messages). */
    readonly index: number,
  ) {
    this.limit = Math.max(0, Math.min(size, bar.size - base));
  }

  /** False after {@link munmap}. */
  get isMapped(): boolean {
    return this.mapped;
  }

  readl(offset: number): number {
    this.check(offset, 4);
    return this.bar.readl(this.base + offset);
  }

  writel(offset: number, value: number): void {
    this.check(offset, 4);
    this.bar.writel(this.base + offset, value);
  }

  read(offset: number, data: Uint8Array): void {
    this.check(offset, data.length);
    this.bar.read(this.base + offset, data);
  }

  write(offset: number, data: Uint8Array): void {
    this.check(offset, data.length);
    this.bar.write(this.base + offset, data);
  }

  /** `munmap`: later accesses fault. */
  munmap(): void {
    this.mapped = false;
  }

  private check(offset: number, width: number): void {
    // In bounds, an integer (BARs are < 2 GiB, so `| 0` is exact) and naturally aligned.
    if (this.mapped && offset >= 0 && offset + width <= this.limit && (offset | 0) === offset) {
      if ((offset & (width - 1)) === 0) return;
    }
    if (!this.mapped) throw new KernelError('EFAULT', `BAR${this.index} mapping was unmapped`);
    throw new KernelError(
      'EFAULT',
      `BAR${this.index} mapping: ${width}-byte access at 0x${offset.toString(16)}`,
      {
        offset,
        width,
        size: this.size,
      },
    );
  }
}
