import { KernelError, type VirtualClock } from '@vfio-sim/platform';

/** 10 Gbit/s in bytes per µs: the default migration link. */
export const LINK_10GBIT_BYTES_PER_US = 1250;

/**
 * The migration channel between two hosts, as far as time goes: sending `n` bytes busy-waits
 * `ceil(n / bytesPerUs)` µs of virtual time (hardware events due meanwhile run), and the bytes are
 * counted. No latency, no loss, no congestion; the bytes themselves are handed over in process.
 *
 * VMM counterpart: QEMU's migration stream (`QEMUFile` over a socket) with `max-bandwidth`.
 */
export class MigrationLink {
  private sent = 0;

  /** @throws KernelError EINVAL unless `bytesPerUs` is a positive number. */
  constructor(
    private readonly clock: VirtualClock,
    readonly bytesPerUs: number = LINK_10GBIT_BYTES_PER_US,
  ) {
    if (!(bytesPerUs > 0))
      throw new KernelError('EINVAL', `link speed ${bytesPerUs} bytes/µs is not positive`);
  }

  /** Bytes sent so far. */
  get bytesSent(): number {
    return this.sent;
  }

  /** Send `bytes` bytes: virtual time advances by the transfer time. */
  send(bytes: number): void {
    this.sent += bytes;
    if (bytes > 0) this.clock.udelay(Math.ceil(bytes / this.bytesPerUs));
  }
}
