import { KernelError } from '@vfio-sim/platform';

/*
 * QEMU's migration stream as a VMM writes and reads it for a vfio device (`QEMUFile` and the VFIO section
 * markers of hw/vfio/migration.c). Both QEMU clients — the v1 region protocol and the v2 data-fd
 * protocol — frame device sections the same way, so the framing lives here, on vfio-core's VMM side.
 */

/**
 * QEMU's VFIO section markers (hw/vfio/migration.c): big-endian u64 tags inside a device's sections of
 * the migration stream.
 */
/** QEMU `VFIO_MIG_FLAG_END_OF_STATE` (hw/vfio/migration.c): 0xffffffffef100001, ends a device section. */
export const VFIO_MIG_FLAG_END_OF_STATE = 0xffff_ffff_ef10_0001n;
/**
 * QEMU `VFIO_MIG_FLAG_DEV_CONFIG_STATE` (hw/vfio/migration.c): 0xffffffffef100002, starts the device's
 * config (PCI) state.
 */
export const VFIO_MIG_FLAG_DEV_CONFIG_STATE = 0xffff_ffff_ef10_0002n;
/**
 * QEMU `VFIO_MIG_FLAG_DEV_SETUP_STATE` (hw/vfio/migration.c): 0xffffffffef100003, starts the setup section
 * `save_setup` writes.
 */
export const VFIO_MIG_FLAG_DEV_SETUP_STATE = 0xffff_ffff_ef10_0003n;
/**
 * QEMU `VFIO_MIG_FLAG_DEV_DATA_STATE` (hw/vfio/migration.c): 0xffffffffef100004, starts device data: a
 * big-endian u64 size, then that many bytes.
 */
export const VFIO_MIG_FLAG_DEV_DATA_STATE = 0xffff_ffff_ef10_0004n;
/** QEMU 8.1+: the initial (pre-copy) data has been sent; the destination may approve switchover. */
export const VFIO_MIG_FLAG_DEV_INIT_DATA_SENT = 0xffff_ffff_ef10_0005n;

/**
 * A growable byte sink with QEMU's put helpers (`QEMUFile`, write side): what one handler call puts on
 * the wire (a section's payload).
 */
export class QemuFileWriter {
  private buf = new Uint8Array(256);
  private len = 0;

  /** `qemu_put_be64`. */
  putBe64(value: bigint): void {
    this.reserve(8);
    new DataView(this.buf.buffer).setBigUint64(this.len, BigInt.asUintN(64, value), false);
    this.len += 8;
  }

  /** `qemu_put_be32`. */
  putBe32(value: number): void {
    this.reserve(4);
    new DataView(this.buf.buffer).setUint32(this.len, value >>> 0, false);
    this.len += 4;
  }

  /** `qemu_put_buffer` (the bytes are copied: the caller may reuse its buffer). */
  putBuffer(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }

  /** Bytes written so far. */
  get size(): number {
    return this.len;
  }

  /** A copy of everything written. */
  toBytes(): Uint8Array {
    return this.buf.slice(0, this.len);
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
}

/** The read side (`QEMUFile`, read direction) over one section's bytes (views, no copies). */
export class QemuFileReader {
  private at = 0;

  constructor(private readonly bytes: Uint8Array) {}

  /** Bytes left. */
  get remaining(): number {
    return this.bytes.length - this.at;
  }

  /** `qemu_get_be64`. @throws KernelError EIO if the stream ends early. */
  getBe64(): bigint {
    const b = this.getBuffer(8);
    return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, false);
  }

  /** `qemu_get_be32`. @throws KernelError EIO if the stream ends early. */
  getBe32(): number {
    const b = this.getBuffer(4);
    return new DataView(b.buffer, b.byteOffset, 4).getUint32(0, false);
  }

  /** `qemu_get_buffer` of exactly `n` bytes (a view, no copy). @throws KernelError EIO if short. */
  getBuffer(n: number): Uint8Array {
    if (!Number.isSafeInteger(n) || n < 0 || n > this.remaining) {
      throw new KernelError('EIO', `migration stream: ${n} bytes wanted, ${this.remaining} left`);
    }
    const out = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
}

/**
 * What a VMM saves of a device besides the device's own migration data: its config state as the VMM
 * emulates it (the guest-visible PCI config, interrupt setup). The clients put it in the CONFIG section
 * (`VFIO_MIG_FLAG_DEV_CONFIG_STATE`, payload, `END_OF_STATE`) and hand it back to the destination.
 *
 * VMM counterpart: QEMU's `VFIODeviceOps.vfio_save_config` / `vfio_load_config` (for PCI,
 * `vfio_pci_save_config` / `vfio_pci_load_config`, hw/vfio/pci.c).
 */
export interface VfioDeviceConfigOps {
  /** Write the config state (the CONFIG section's payload). */
  save(out: QemuFileWriter): void;
  /**
   * Read and apply the config state (the destination's device and emulation take it).
   * @throws KernelError EINVAL when it does not fit this device (QEMU: "Bad config data"); EIO if short.
   */
  load(input: QemuFileReader): void;
}
