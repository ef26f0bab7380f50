/**
 * The width of one MMIO transaction in bytes: 1, 2, 4, 8 (`writeq`) or 16 (a 128-bit store, as the QM
 * mailbox requires).
 */
export type MmioWidth = 1 | 2 | 4 | 8 | 16;

/**
 * A device's register space behind a BAR: what the CPU reaches with `readl`/`writel`/`writeq`.
 *
 * One call is one bus transaction: `read`/`write` move exactly `data.length` bytes (an {@link MmioWidth})
 * at once, so a device can tell a 128-bit store from four 32-bit stores. `readl`/`writel` are the
 * allocation-free fast path for the common 32-bit access. Offsets are relative to the BAR start and are
 * checked by the caller (vfio-pci-core clamps at the BAR end); a device answers an unimplemented offset
 * the way its hardware does (reads 0 or all-ones), never by throwing.
 *
 * Kernel counterpart: `ioread32`/`iowrite32`/`writeq` on an `ioremap`ped BAR (`void __iomem *`).
 */
export interface MmioRegion {
  /** Bytes of register space (the BAR length). */
  readonly size: number;
  /** 32-bit read at `offset` (kernel `readl`). */
  readl(offset: number): number;
  /** 32-bit write at `offset` (kernel `writel`). */
  writel(offset: number, value: number): void;
  /** One read transaction of `data.length` bytes at `offset`, little-endian into `data`. */
  read(offset: number, data: Uint8Array): void;
  /** One write transaction of `data.length` bytes at `offset`, little-endian from `data`. */
  write(offset: number, data: Uint8Array): void;
}

/** True if `n` is a legal MMIO transaction width. */
export function isMmioWidth(n: number): n is MmioWidth {
  return n === 1 || n === 2 || n === 4 || n === 8 || n === 16;
}

const scratch8 = new Uint8Array(8);
const scratch8View = new DataView(scratch8.buffer);

/**
 * A 64-bit write as one transaction (kernel `writeq`), given as two 32-bit halves so callers on hot
 * paths (doorbells) need no bigint. Reuses one scratch buffer: no allocation.
 */
export function writeq(region: MmioRegion, offset: number, lo: number, hi: number): void {
  scratch8View.setUint32(0, lo >>> 0, true);
  scratch8View.setUint32(4, hi >>> 0, true);
  region.write(offset, scratch8);
}

/** A 64-bit read as one transaction (kernel `readq`). */
export function readq(region: MmioRegion, offset: number): bigint {
  region.read(offset, scratch8);
  return scratch8View.getBigUint64(0, true);
}
