import { KernelError, type Process } from '@vfio-sim/platform';

/**
 * How a VMM reaches a device region: `pread`/`pwrite` on the device fd at the region's offset.
 * Offsets are relative to the region start.
 */
export interface RegionIo {
  /** One pread of `dst.length` bytes; a short read is EINVAL (as QEMU treats it). */
  pread(pos: number, dst: Uint8Array): void;
  /** One pwrite of `src`; a short write is EINVAL. */
  pwrite(pos: number, src: Uint8Array): void;
  /** Give back what the accessor holds (its user buffer); optional. */
  close?(): void;
}

/**
 * {@link RegionIo} over a Process's device fd: each call is one `pread(2)`/`pwrite(2)` syscall through
 * one user buffer, allocated at construction and freed by {@link close}.
 */
export class ProcessRegionIo implements RegionIo {
  private scratch: number;

  constructor(
    private readonly process: Process,
    private readonly fd: number,
    /** The region's offset in the device fd (`index << 40`). */
    private readonly regionOffset: number,
    /** Largest single access this client makes. */
    maxAccess = 4096,
  ) {
    this.scratch = process.mm.alloc(maxAccess, 8);
  }

  pread(pos: number, dst: Uint8Array): void {
    const n = this.process.pread(this.fd, this.scratch, dst.length, this.regionOffset + pos);
    if (n !== dst.length)
      throw new KernelError('EINVAL', `short read: ${n} of ${dst.length} bytes at ${pos}`);
    this.process.mm.read(this.scratch, dst);
  }

  pwrite(pos: number, src: Uint8Array): void {
    this.process.mm.copyToUser(this.scratch, src);
    const n = this.process.pwrite(this.fd, this.scratch, src.length, this.regionOffset + pos);
    if (n !== src.length)
      throw new KernelError('EINVAL', `short write: ${n} of ${src.length} bytes at ${pos}`);
  }

  /** Free the user buffer (the fd stays open: it is the device's). Closing twice does nothing. */
  close(): void {
    if (this.scratch !== 0) this.process.mm.free(this.scratch);
    this.scratch = 0;
  }
}
