import { VFIO_DEVICE_STATE_MASK, vfio_device_migration_info } from '@vfio-sim/migration-v1';
import { appendBuffer, concatBytes, littleEndian, regionIndex } from '../device-io.js';
import type { StepRunners } from '../observation.js';
import type { DeviceEntry } from '../world.js';
import { corrupted } from './v2-steps.js';

const DEVICE_STATE = vfio_device_migration_info.offsetOf('device_state');
const PENDING_BYTES = vfio_device_migration_info.offsetOf('pending_bytes');
const DATA_OFFSET = vfio_device_migration_info.offsetOf('data_offset');
const DATA_SIZE = vfio_device_migration_info.offsetOf('data_size');

/** The device-fd offset of `pos` in the v1 migration region. */
function at(entry: DeviceEntry, pos: number): number {
  return entry.handle.regionOffset(regionIndex(entry, 'migration'), pos);
}

/** An 8-byte register of the v1 region, read at its native width. */
function readU64(entry: DeviceEntry, pos: number): number {
  return littleEndian(entry.handle.pread(at(entry, pos), 8));
}

/** The v1 region's `device_state` (all 32 bits). */
export function v1DeviceState(entry: DeviceEntry): number {
  return entry.handle.preadU32(at(entry, DEVICE_STATE));
}

/**
 * Migration v1 as QEMU's v1 client drives the region (the v1 uAPI text's sequences): device_state written
 * with the reserved bits preserved, the save iteration (pending_bytes → data_offset → data_size → data,
 * until pending_bytes reads 0) and the resume iteration (data_offset → data → data_size).
 */
export const V1_STEPS: StepRunners<'v1-set-state' | 'v1-save' | 'v1-load'> = {
  'v1-set-state'(world, args) {
    const entry = world.device(args.device);
    const value = args.raw
      ? args.state
      : ((v1DeviceState(entry) & ~VFIO_DEVICE_STATE_MASK) | args.state) >>> 0;
    entry.handle.pwriteU32(at(entry, DEVICE_STATE), value);
  },
  'v1-save'(world, args, got) {
    const entry = world.device(args.device);
    const parts: Uint8Array[] = [];
    try {
      for (;;) {
        if (readU64(entry, PENDING_BYTES) === 0) break;
        const offset = readU64(entry, DATA_OFFSET);
        const size = readU64(entry, DATA_SIZE);
        parts.push(entry.handle.pread(at(entry, offset), size));
        if (args.once) break;
      }
    } finally {
      const bytes = concatBytes(parts);
      got.bytes = bytes.length;
      got.data = bytes;
      appendBuffer(world.buffers, args.into, bytes);
    }
  },
  'v1-load'(world, args, got) {
    const entry = world.device(args.device);
    const all = world.buffers.get(args.from) ?? new Uint8Array(0);
    const bytes = corrupted(all.slice(0, args.count), args.corrupt);
    const offset = readU64(entry, DATA_OFFSET);
    entry.handle.pwrite(at(entry, offset), bytes);
    const size = new Uint8Array(8);
    new DataView(size.buffer).setBigUint64(0, BigInt(bytes.length), true);
    entry.handle.pwrite(at(entry, DATA_SIZE), size);
    got.bytes = bytes.length;
  },
};
