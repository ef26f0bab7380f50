import type { Process } from '@vfio-sim/platform';
import type { VfioDeviceHandle } from '@vfio-sim/vfio-core';

/**
 * How a guest's UART driver reaches its port: one-byte I/O accesses at a register offset (`inb`/`outb`
 * on the port's I/O BAR). The VMM decides where they land.
 */
export interface UartIo {
  /** `inb(base + offset)`. */
  inb(offset: number): number;
  /** `outb(value, base + offset)`. */
  outb(offset: number, value: number): void;
}

/**
 * The VMM's side of a guest's port I/O to an assigned device's I/O BAR: each access becomes a one-byte
 * `pread`/`pwrite` of the vfio device fd at the BAR's region offset (`index << 40` + register), as QEMU
 * forwards a trapped I/O access to `vfio_region_read`/`vfio_region_write`. One user buffer is reused; the
 * VMM process and fd are the ones the VMM opened the device with.
 *
 * Kernel/QEMU counterpart: QEMU's `vfio_region_ops` for a BAR that is not mmapped (I/O BARs never are).
 */
export class VfioRegionUartIo implements UartIo {
  private readonly buf: number;
  private readonly byte = new Uint8Array(1);

  constructor(
    private readonly process: Process,
    private readonly fd: number,
    /** The device-fd offset of the BAR (`VFIO_PCI_INDEX_TO_OFFSET(bar)`). */
    private readonly base: number,
  ) {
    this.buf = process.mm.alloc(8);
  }

  /** Port I/O to BAR `bar` of the device behind `handle` (the VMM's open device fd). */
  static of(handle: VfioDeviceHandle, bar: number): VfioRegionUartIo {
    return new VfioRegionUartIo(handle.process, handle.fd, handle.regionOffset(bar));
  }

  inb(offset: number): number {
    this.process.pread(this.fd, this.buf, 1, this.base + offset);
    this.process.mm.read(this.buf, this.byte);
    return this.byte[0]!;
  }

  outb(offset: number, value: number): void {
    this.byte[0] = value;
    this.process.mm.copyToUser(this.buf, this.byte);
    this.process.pwrite(this.fd, this.buf, 1, this.base + offset);
  }
}
