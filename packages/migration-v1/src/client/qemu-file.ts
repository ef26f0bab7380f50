import { KernelError } from '@vfio-sim/platform';

/**
 * QEMU's VFIO stream markers (hw/vfio/migration.c): big-endian u64 words that frame a device's section
 * of the migration stream.
 */
export const VFIO_MIG_FLAG_END_OF_STATE = 0xffff_ffff_ef10_0001n;
export const VFIO_MIG_FLAG_DEV_CONFIG_STATE = 0xffff_ffff_ef10_0002n;
export const VFIO_MIG_FLAG_DEV_SETUP_STATE = 0xffff_ffff_ef10_0003n;
export const VFIO_MIG_FLAG_DEV_DATA_STATE = 0xffff_ffff_ef10_0004n;

/** The sending side of a QEMU migration stream (QEMUFile, write direction): big-endian words and bytes. */
export class QemuFileWriter {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;

  /** `qemu_put_be64`. */
  putBe64(value: bigint): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, value), false);
    this.append(b);
  }

  /** `qemu_put_buffer` (the bytes are copied: the caller may reuse its buffer). */
  putBuffer(bytes: Uint8Array): void {
    this.append(bytes.slice());
  }

  /** Bytes written so far. */
  get size(): number {
    return this.length;
  }

  /** Everything written, as one buffer (what the transport carries). */
  toBytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  /** Keep `chunk` (owned by the writer from now on). */
  private append(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }
}

/** The receiving side of a QEMU migration stream (QEMUFile, read direction). */
export class QemuFileReader {
  private pos = 0;

  constructor(private readonly bytes: Uint8Array) {}

  /** Bytes not yet consumed. */
  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  /** `qemu_get_be64`. @throws KernelError EIO at a truncated stream. */
  getBe64(): bigint {
    const b = this.getBuffer(8);
    return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, false);
  }

  /** `qemu_get_buffer` of exactly `n` bytes. @throws KernelError EIO at a truncated stream. */
  getBuffer(n: number): Uint8Array {
    if (n < 0 || this.pos + n > this.bytes.length) {
      throw new KernelError('EIO', `migration stream truncated: wanted ${n} bytes, ${this.remaining} left`);
    }
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}
