import { KernelError } from '@vfio-sim/platform';
import {
  type QemuFileReader,
  type QemuFileWriter,
  VFIO_MIG_FLAG_DEV_CONFIG_STATE,
  VFIO_MIG_FLAG_DEV_DATA_STATE,
  VFIO_MIG_FLAG_DEV_SETUP_STATE,
  VFIO_MIG_FLAG_END_OF_STATE,
  type VfioDeviceConfigOps,
} from '@vfio-sim/vfio-core';
import {
  VFIO_DEVICE_STATE_IS_ERROR,
  VFIO_DEVICE_STATE_MASK,
  VFIO_DEVICE_STATE_V1_RESUMING,
  VFIO_DEVICE_STATE_V1_RUNNING,
  VFIO_DEVICE_STATE_V1_SAVING,
  VFIO_DEVICE_STATE_VALID,
} from '../uapi/device-state.js';
import { vfio_device_migration_info } from '../uapi/migration-info.js';
import type { RegionIo } from './region-io.js';

const OFF_DEVICE_STATE = vfio_device_migration_info.offsetOf('device_state');
const OFF_PENDING_BYTES = vfio_device_migration_info.offsetOf('pending_bytes');
const OFF_DATA_OFFSET = vfio_device_migration_info.offsetOf('data_offset');
const OFF_DATA_SIZE = vfio_device_migration_info.offsetOf('data_size');

/**
 * Where QEMU puts the device's CONFIG section in a v1 migration: QEMU 5.2 at the start of
 * `save_live_complete_precopy` (before the stop-and-copy data, in the same section); QEMU 6.0+ in the
 * non-iterable `save_state` handler, after all device data ("vfio: Move the saving of the config space
 * to the right place in VFIO migration": ARM's interrupt controller must be restored first).
 */
export type V1ConfigPlacement = 'complete-precopy' | 'save-state';

/** Options of {@link QemuV1Client}. */
export interface QemuV1ClientOptions {
  /** The device's config state as the VMM emulates it (`vfio_save_config` / `vfio_load_config`). */
  readonly config?: VfioDeviceConfigOps;
  /** Where the CONFIG section goes, save and load alike (default `save-state`, QEMU 6.0+). */
  readonly configPlacement?: V1ConfigPlacement;
}

/** What one save step moved. */
export interface SaveProgress {
  /** Device bytes put on the stream by this step. */
  readonly bytes: number;
  /** True when the device reported nothing pending. */
  readonly done: boolean;
}

/**
 * QEMU's v1 migration client (hw/vfio/migration.c, QEMU 5.2–7.x), driving a device's v1 region
 * through pread/pwrite on the device fd: the save sequence (setup, live iterations, stop, complete,
 * cleanup) and the load sequence (setup, data records, start), with QEMU's stream framing and its
 * register discipline — naturally aligned 8/4/2/1-byte accesses, read-modify-write of device_state.
 *
 * Error rule (QEMU's `vfio_migration_set_state`): an invalid computed state is EINVAL without a write;
 * a failed write is followed by a read-back, and a device found in the error state is fatal for QEMU
 * (`hw_error`, modelled as a KernelError EIO with `context.hwError`).
 */
export class QemuV1Client {
  /**
   * The device bytes the region announced before the reads that moved them: `pending_bytes` as read at
   * the start of each `save_live_iterate` that moved data and at the start of stop-and-copy. QEMU keeps
   * no such sum (the model's VMM uses it for its opt-in device-bytes check).
   */
  announcedBytes = 0;
  private cachedPending = 0;
  private readonly word = new Uint8Array(8);
  private readonly wordView = new DataView(this.word.buffer);

  /** Where the CONFIG section goes ({@link V1ConfigPlacement}). */
  readonly configPlacement: V1ConfigPlacement;
  private readonly config: VfioDeviceConfigOps | undefined;

  constructor(
    private readonly io: RegionIo,
    /** The migration region's size (from GET_REGION_INFO). */
    readonly regionSize: number,
    options: QemuV1ClientOptions = {},
  ) {
    this.config = options.config;
    this.configPlacement = options.configPlacement ?? 'save-state';
  }

  /** Read `device_state`. */
  deviceState(): number {
    return this.read32(OFF_DEVICE_STATE);
  }

  /**
   * `vfio_migration_set_state(mask, value)`: new = (old & mask) | value.
   * @throws KernelError EINVAL for an invalid new state (nothing written), the device's errno on a
   * failed write, EIO with `hwError` if the device went to the error state.
   */
  setState(mask: number, value: number): number {
    const old = this.deviceState();
    const next = ((old & mask) | value) >>> 0;
    if (!VFIO_DEVICE_STATE_VALID(next)) {
      throw new KernelError('EINVAL', `computed device_state ${next} is invalid; not written`);
    }
    try {
      this.write32(OFF_DEVICE_STATE, next);
    } catch (e) {
      let back: number | undefined;
      try {
        back = this.deviceState();
      } catch {
        back = undefined;
      }
      if (back === undefined || VFIO_DEVICE_STATE_IS_ERROR(back)) {
        throw new KernelError('EIO', 'hw_error: device state is in error after a failed transition', {
          hwError: true,
          cause: e,
        });
      }
      throw e;
    }
    return next;
  }

  // ---- save (source) ----

  /** `save_setup`: DEV_SETUP_STATE, END_OF_STATE, and SAVING on (RUNNING → pre-copy). */
  saveSetup(out: QemuFileWriter): void {
    out.putBe64(VFIO_MIG_FLAG_DEV_SETUP_STATE);
    this.setState(VFIO_DEVICE_STATE_MASK, VFIO_DEVICE_STATE_V1_SAVING);
    out.putBe64(VFIO_MIG_FLAG_END_OF_STATE);
  }

  /** The pending query of each iteration: read and cache pending_bytes. */
  savePending(): number {
    this.cachedPending = this.read64(OFF_PENDING_BYTES);
    return this.cachedPending;
  }

  /** `save_live_iterate`: at most one buffer per call. */
  saveIterate(out: QemuFileWriter): SaveProgress {
    out.putBe64(VFIO_MIG_FLAG_DEV_DATA_STATE);
    if (this.cachedPending === 0 && this.savePending() === 0) {
      out.putBe64(0n);
      out.putBe64(VFIO_MIG_FLAG_END_OF_STATE);
      return { bytes: 0, done: true };
    }
    this.announcedBytes += this.cachedPending;
    const bytes = this.saveBuffer(out);
    out.putBe64(VFIO_MIG_FLAG_END_OF_STATE);
    this.cachedPending = 0;
    return { bytes, done: false };
  }

  /** VM stop: RUNNING off (pre-copy → stop-and-copy, or running → stop). */
  vmStop(): void {
    this.setState(~VFIO_DEVICE_STATE_V1_RUNNING >>> 0, 0);
  }

  /** `save_live_complete_precopy`: stop-and-copy, then buffers until pending is 0. Returns bytes moved. */
  saveComplete(out: QemuFileWriter): number {
    if (this.configPlacement === 'complete-precopy') this.saveConfig(out);
    this.setState(~VFIO_DEVICE_STATE_V1_RUNNING >>> 0, VFIO_DEVICE_STATE_V1_SAVING);
    let total = 0;
    let pending = this.savePending();
    this.announcedBytes += pending;
    while (pending > 0) {
      out.putBe64(VFIO_MIG_FLAG_DEV_DATA_STATE);
      const n = this.saveBuffer(out);
      total += n;
      if (n === 0) break;
      pending = this.savePending();
    }
    out.putBe64(VFIO_MIG_FLAG_END_OF_STATE);
    this.setState(~VFIO_DEVICE_STATE_V1_SAVING >>> 0, 0);
    return total;
  }

  /** Failure/cancel notifier: back to RUNNING with SAVING and RESUMING cleared. */
  cancel(): void {
    this.setState(
      ~(VFIO_DEVICE_STATE_V1_SAVING | VFIO_DEVICE_STATE_V1_RESUMING) >>> 0,
      VFIO_DEVICE_STATE_V1_RUNNING,
    );
  }

  // ---- load (destination) ----

  /** `load_setup`: RUNNING → RESUMING. */
  loadSetup(): void {
    this.setState(~VFIO_DEVICE_STATE_MASK >>> 0, VFIO_DEVICE_STATE_V1_RESUMING);
  }

  /**
   * `vfio_save_state` (QEMU 6.0+): the CONFIG section on its own. Writes nothing when the config goes
   * at the start of stop-and-copy instead (QEMU 5.2, {@link V1ConfigPlacement}).
   */
  saveState(out: QemuFileWriter): void {
    if (this.configPlacement === 'save-state') this.saveConfig(out);
  }

  /** `vfio_save_device_config_state`: CONFIG, the config state, END_OF_STATE. */
  private saveConfig(out: QemuFileWriter): void {
    out.putBe64(VFIO_MIG_FLAG_DEV_CONFIG_STATE);
    this.config?.save(out);
    out.putBe64(VFIO_MIG_FLAG_END_OF_STATE);
  }

  /**
   * `vfio_load_state`: consume one device section: SETUP, DATA records and the CONFIG state (with its
   * placement, {@link V1ConfigPlacement}) until END_OF_STATE.
   * @returns device bytes written to the region.
   * @throws KernelError EINVAL on an unknown tag or malformed section; the device's errno if it
   * rejects data.
   */
  loadState(input: QemuFileReader): number {
    let total = 0;
    let tag = input.getBe64();
    while (tag !== VFIO_MIG_FLAG_END_OF_STATE) {
      if (tag === VFIO_MIG_FLAG_DEV_SETUP_STATE) {
        if (input.getBe64() !== VFIO_MIG_FLAG_END_OF_STATE)
          throw new KernelError('EINVAL', 'setup section not terminated');
        return total;
      }
      if (tag === VFIO_MIG_FLAG_DEV_CONFIG_STATE) {
        // vfio_load_device_config_state: the config state, then END_OF_STATE
        this.config?.load(input);
        if (input.getBe64() !== VFIO_MIG_FLAG_END_OF_STATE)
          throw new KernelError('EINVAL', 'config section not terminated by END_OF_STATE');
        // QEMU 6.0+ returns here (the section was the config alone); 5.2 reads on (its data follows)
        if (this.configPlacement === 'save-state') return total;
        tag = input.getBe64();
        continue;
      }
      if (tag !== VFIO_MIG_FLAG_DEV_DATA_STATE) {
        throw new KernelError('EINVAL', `unknown tag 0x${tag.toString(16)}`);
      }
      total += this.loadBuffer(input, Number(input.getBe64()));
      tag = input.getBe64();
    }
    return total;
  }

  /** VM start: RESUMING (or STOP) → RUNNING. */
  vmStart(): void {
    this.setState(~VFIO_DEVICE_STATE_MASK >>> 0, VFIO_DEVICE_STATE_V1_RUNNING);
  }

  /**
   * Give back the region accessor's user memory ({@link RegionIo.close}); the device keeps its state.
   * QEMU counterpart: `vfio_migration_exit` (device unrealize).
   */
  close(): void {
    this.io.close?.();
  }

  // ---- data movement ----

  private saveBuffer(out: QemuFileWriter): number {
    const offset = this.read64(OFF_DATA_OFFSET);
    const size = this.read64(OFF_DATA_SIZE);
    out.putBe64(BigInt(size));
    if (size > 0) out.putBuffer(this.readSplit(offset, size));
    return size;
  }

  private loadBuffer(input: QemuFileReader, size: number): number {
    let left = size;
    while (left > 0) {
      const offset = this.read64(OFF_DATA_OFFSET);
      const chunk = Math.min(left, this.regionSize - offset);
      if (chunk <= 0)
        throw new KernelError(
          'EINVAL',
          `data_offset ${offset} leaves no room in a ${this.regionSize}-byte region`,
        );
      this.writeSplit(offset, input.getBuffer(chunk));
      this.write64(OFF_DATA_SIZE, chunk);
      left -= chunk;
    }
    return size;
  }

  /** `vfio_mig_read` over a range: naturally aligned 8/4/2/1-byte preads. */
  private readSplit(offset: number, size: number): Uint8Array {
    const out = new Uint8Array(size);
    let done = 0;
    while (done < size) {
      const n = accessWidth(offset + done, size - done);
      const part = out.subarray(done, done + n);
      this.io.pread(offset + done, part);
      done += n;
    }
    return out;
  }

  /** `vfio_mig_write` over a range: naturally aligned 8/4/2/1-byte pwrites. */
  private writeSplit(offset: number, data: Uint8Array): void {
    let done = 0;
    while (done < data.length) {
      const n = accessWidth(offset + done, data.length - done);
      this.io.pwrite(offset + done, data.subarray(done, done + n));
      done += n;
    }
  }

  private read32(pos: number): number {
    this.io.pread(pos, this.word.subarray(0, 4));
    return this.wordView.getUint32(0, true);
  }

  private write32(pos: number, value: number): void {
    this.wordView.setUint32(0, value, true);
    this.io.pwrite(pos, this.word.subarray(0, 4));
  }

  private read64(pos: number): number {
    this.io.pread(pos, this.word);
    const v = this.wordView.getBigUint64(0, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER))
      throw new KernelError('EOVERFLOW', `register value ${v} too large`);
    return Number(v);
  }

  private write64(pos: number, value: number): void {
    this.wordView.setBigUint64(0, BigInt(value), true);
    this.io.pwrite(pos, this.word);
  }
}

/** The largest naturally aligned access (8, 4, 2 or 1 bytes) at `offset` within `left` bytes. */
function accessWidth(offset: number, left: number): number {
  for (const w of [8, 4, 2]) if (left >= w && offset % w === 0) return w;
  return 1;
}
