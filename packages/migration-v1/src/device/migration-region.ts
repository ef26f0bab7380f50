import { KernelError, type UserMemory } from '@vfio-sim/platform';
import {
  deviceStateName,
  isSaving,
  VFIO_DEVICE_STATE_IS_ERROR,
  VFIO_DEVICE_STATE_MASK,
  VFIO_DEVICE_STATE_SET_ERROR,
  VFIO_DEVICE_STATE_V1_RESUMING,
  VFIO_DEVICE_STATE_V1_RUNNING,
  VFIO_DEVICE_STATE_VALID,
} from '../uapi/device-state.js';
import { vfio_device_migration_info } from '../uapi/migration-info.js';
import type { MigrationV1Driver } from './migration-driver.js';

const OFF_DEVICE_STATE = vfio_device_migration_info.offsetOf('device_state');
const OFF_RESERVED = vfio_device_migration_info.offsetOf('reserved');
const OFF_PENDING_BYTES = vfio_device_migration_info.offsetOf('pending_bytes');
const OFF_DATA_OFFSET = vfio_device_migration_info.offsetOf('data_offset');
const OFF_DATA_SIZE = vfio_device_migration_info.offsetOf('data_size');
const HEADER_SIZE = vfio_device_migration_info.size;

/** Where a save iteration stands: none, started by a pending_bytes read, or data made available. */
type Iteration = 'idle' | 'started' | 'data';

/** Options of a {@link MigrationRegionV1}. */
export interface MigrationRegionV1Options {
  /** Bytes of the data section (the largest chunk one iteration can carry). */
  readonly dataCapacity: number;
  /** Where the data section starts; non-zero, at or after the header (default: right after it, 32). */
  readonly dataOffset?: number;
}

/**
 * The device side of migration protocol v1: the migration region (type 3 / subtype 1) with
 * `struct vfio_device_migration_info` at offset 0 and a data section behind it, exactly as the v1 uAPI
 * text defines it (include/uapi/linux/vfio.h, v5.8–v5.17).
 *
 * - Header fields are accessed at their native width and offset only; anything else is EINVAL.
 *   `reserved` reads 0 and ignores writes; `pending_bytes` and `data_offset` are read-only.
 * - `device_state` writes must keep the reserved bits 3..31, name a valid state
 *   (`VFIO_DEVICE_STATE_VALID`), and are refused in the error state (only a reset recovers). A failed
 *   transition leaves the previous state, or the error state if the driver declared the device lost.
 * - Save iteration (SAVING set): a `pending_bytes` read starts an iteration (repeat reads have no side
 *   effect); a `data_offset` read makes the next chunk available (repeat reads return the same chunk);
 *   `data_size` gives its length; the chunk is read from the data section; the next `pending_bytes`
 *   read (or a state change) means it was consumed.
 * - Resume iteration (RESUMING): read `data_offset`, write the chunk into the data section, write
 *   `data_size`: the driver consumes the chunk before the write returns.
 *
 * Every access is validated against the region before anything changes, and the user buffer is checked
 * before a read has side effects, so a rejected access (EINVAL, EFAULT, …) changes nothing.
 *
 * Differs from the RFC's handler on purpose (its defects): writes to `data_offset` and `pending_bytes`
 * are refused, data accesses are bounded by the data section and the current chunk, the state is
 * validated, and unknown or invalid states are EINVAL rather than EFAULT.
 */
export class MigrationRegionV1 {
  /** Region size: header + data section. */
  readonly size: number;
  /** Where the data section starts. */
  readonly dataOffset: number;
  private deviceState = VFIO_DEVICE_STATE_V1_RUNNING;
  private iteration: Iteration = 'idle';
  private pending = 0;
  private dataSize = 0;
  private errorDeclared = false;
  private readonly buffer: Uint8Array;
  private readonly scratch = new Uint8Array(8);
  private readonly scratchView = new DataView(this.scratch.buffer);

  constructor(
    private readonly driver: MigrationV1Driver,
    options: MigrationRegionV1Options,
  ) {
    const dataOffset = options.dataOffset ?? HEADER_SIZE;
    if (!Number.isSafeInteger(options.dataCapacity) || options.dataCapacity <= 0) {
      throw new KernelError('EINVAL', `migration data capacity ${options.dataCapacity} must be positive`);
    }
    if (!Number.isSafeInteger(dataOffset) || dataOffset < HEADER_SIZE) {
      throw new KernelError(
        'EINVAL',
        `data_offset ${dataOffset} must be at or after the ${HEADER_SIZE}-byte header`,
      );
    }
    this.dataOffset = dataOffset;
    this.size = dataOffset + options.dataCapacity;
    this.buffer = new Uint8Array(options.dataCapacity);
  }

  /** The full `device_state` value (reserved bits included). */
  get state(): number {
    return this.deviceState;
  }

  /**
   * Declare the device state lost: the failing transition leaves the region in the error state
   * (`VFIO_DEVICE_STATE_SET_ERROR`). A driver calls this before throwing.
   */
  setError(): void {
    this.errorDeclared = true;
  }

  /** A device reset (VFIO_DEVICE_RESET): back to RUNNING, any session dropped. */
  reset(): void {
    this.deviceState = VFIO_DEVICE_STATE_V1_RUNNING;
    this.endIteration();
    this.driver.reset?.();
  }

  /**
   * One read or write of the region (the region ops `rw` callback): `count` bytes between user memory at
   * `buf` and region position `pos`. Returns the bytes transferred.
   */
  rw(mm: UserMemory, buf: number, count: number, pos: number, iswrite: boolean): number {
    if (count === 0) return 0;
    if (
      !Number.isSafeInteger(pos) ||
      pos < 0 ||
      pos >= this.size ||
      !Number.isSafeInteger(count) ||
      count < 0
    ) {
      throw new KernelError(
        'EINVAL',
        `migration region access [${pos}, +${count}) outside [0, ${this.size})`,
      );
    }
    if (pos < this.dataOffset) return this.rwHeader(mm, buf, count, pos, iswrite);
    return this.rwData(mm, buf, Math.min(count, this.size - pos), pos - this.dataOffset, iswrite);
  }

  private rwHeader(mm: UserMemory, buf: number, count: number, pos: number, iswrite: boolean): number {
    const field = headerField(pos, count);
    if (field === undefined) {
      throw new KernelError(
        'EINVAL',
        `migration region header access [${pos}, +${count}) is not one field at its native width`,
      );
    }
    if (iswrite) {
      switch (field) {
        case OFF_DEVICE_STATE:
          this.writeDeviceState(this.copyIn(mm, buf, 4).getUint32(0, true));
          return count;
        case OFF_RESERVED:
          return count; // writes ignored
        case OFF_DATA_SIZE:
          this.writeDataSize(this.copyIn(mm, buf, 8).getBigUint64(0, true));
          return count;
        default:
          throw new KernelError(
            'EINVAL',
            `${field === OFF_PENDING_BYTES ? 'pending_bytes' : 'data_offset'} is read-only`,
          );
      }
    }
    mm.resolve(buf, count); // access_ok before any side effect of the read
    switch (field) {
      case OFF_DEVICE_STATE:
        this.scratchView.setUint32(0, this.deviceState, true);
        break;
      case OFF_RESERVED:
        this.scratchView.setUint32(0, 0, true);
        break;
      case OFF_PENDING_BYTES:
        this.scratchView.setBigUint64(0, BigInt(this.readPendingBytes()), true);
        break;
      case OFF_DATA_OFFSET:
        this.scratchView.setBigUint64(0, BigInt(this.readDataOffset()), true);
        break;
      case OFF_DATA_SIZE:
        this.scratchView.setBigUint64(0, BigInt(this.dataSize), true);
        break;
    }
    mm.copyToUser(buf, this.scratch.subarray(0, count));
    return count;
  }

  private rwData(mm: UserMemory, buf: number, count: number, at: number, iswrite: boolean): number {
    const masked = this.deviceState & VFIO_DEVICE_STATE_MASK;
    if (iswrite) {
      if (masked !== VFIO_DEVICE_STATE_V1_RESUMING) {
        throw new KernelError(
          'EINVAL',
          `data section is written only while resuming (state ${deviceStateName(masked)})`,
        );
      }
      this.buffer.set(mm.copyFromUser(buf, count), at);
      return count;
    }
    if (!isSaving(masked) || this.iteration !== 'data') {
      throw new KernelError(
        'EINVAL',
        'no migration data available: read pending_bytes and data_offset first',
      );
    }
    if (at + count > this.dataSize) {
      throw new KernelError('EINVAL', `read [${at}, +${count}) beyond data_size ${this.dataSize}`);
    }
    mm.copyToUser(buf, this.buffer.subarray(at, at + count));
    return count;
  }

  private writeDeviceState(value: number): void {
    const current = this.deviceState;
    if ((value & ~VFIO_DEVICE_STATE_MASK) !== (current & ~VFIO_DEVICE_STATE_MASK)) {
      throw new KernelError(
        'EINVAL',
        `device_state 0x${value.toString(16)} changes reserved bits 3..31 (read-modify-write them)`,
      );
    }
    if (VFIO_DEVICE_STATE_IS_ERROR(current)) {
      throw new KernelError('EINVAL', 'device is in the error state: only VFIO_DEVICE_RESET recovers it');
    }
    if (!VFIO_DEVICE_STATE_VALID(value)) {
      throw new KernelError(
        'EINVAL',
        `device_state ${value & VFIO_DEVICE_STATE_MASK} (${deviceStateName(value)}) is not a valid state`,
      );
    }
    const from = current & VFIO_DEVICE_STATE_MASK;
    const to = value & VFIO_DEVICE_STATE_MASK;
    if (from === to) return;
    this.errorDeclared = false;
    try {
      this.driver.transition(from, to);
    } catch (e) {
      if (this.errorDeclared) {
        this.deviceState = VFIO_DEVICE_STATE_SET_ERROR(current);
        this.endIteration();
      }
      throw e;
    }
    this.deviceState = value >>> 0;
    this.endIteration();
  }

  private readPendingBytes(): number {
    if (!isSaving(this.deviceState)) return 0;
    if (this.iteration !== 'started') {
      // A new iteration: whatever chunk was made available has been consumed.
      this.pending = this.driver.savePending();
      this.dataSize = 0;
      this.iteration = 'started';
    }
    return this.pending;
  }

  private readDataOffset(): number {
    if (isSaving(this.deviceState)) {
      if (this.iteration === 'idle') this.readPendingBytes();
      if (this.iteration === 'started') {
        const chunk = this.driver.saveChunk(this.buffer.length);
        if (chunk.length > this.buffer.length) {
          throw new KernelError(
            'EIO',
            `driver produced ${chunk.length} bytes for a ${this.buffer.length}-byte data section`,
          );
        }
        this.buffer.set(chunk);
        this.dataSize = chunk.length;
        this.iteration = 'data';
      }
    }
    return this.dataOffset;
  }

  private writeDataSize(size: bigint): void {
    if ((this.deviceState & VFIO_DEVICE_STATE_MASK) !== VFIO_DEVICE_STATE_V1_RESUMING) {
      throw new KernelError('EINVAL', 'data_size is written only while resuming');
    }
    if (size > BigInt(this.buffer.length)) {
      throw new KernelError(
        'EINVAL',
        `data_size ${size} exceeds the ${this.buffer.length}-byte data section`,
      );
    }
    if (size === 0n) return;
    this.driver.loadChunk(this.buffer.slice(0, Number(size)));
  }

  private endIteration(): void {
    this.iteration = 'idle';
    this.pending = 0;
    this.dataSize = 0;
  }

  private copyIn(mm: UserMemory, buf: number, count: number): DataView {
    mm.read(buf, this.scratch.subarray(0, count));
    return this.scratchView;
  }
}

/** The header field starting at `pos` if the access is exactly that field at its width. */
function headerField(pos: number, count: number): number | undefined {
  switch (pos) {
    case OFF_DEVICE_STATE:
    case OFF_RESERVED:
      return count === 4 ? pos : undefined;
    case OFF_PENDING_BYTES:
    case OFF_DATA_OFFSET:
    case OFF_DATA_SIZE:
      return count === 8 ? pos : undefined;
    default:
      return undefined;
  }
}
