import { KernelError } from '@vfio-sim/platform';
import { findV1MigrationRegion } from '@vfio-sim/vmm';
import type { RegionRef } from '../plan/plan.js';
import type { DeviceEntry } from './world.js';

/*
 * Small helpers the device steps share: the region a step names, little-endian values, and the data fd a
 * step means.
 */

const migrationRegionIndex = new WeakMap<DeviceEntry, number>();

/**
 * The index of `region`: as given, or the v1 migration region's (found once per device by its TYPE
 * capability, as QEMU does). @throws KernelError EINVAL when the device has no v1 region
 */
export function regionIndex(entry: DeviceEntry, region: RegionRef): number {
  if (region !== 'migration') return region;
  let index = migrationRegionIndex.get(entry);
  if (index === undefined) {
    index = findV1MigrationRegion(entry.handle).index;
    migrationRegionIndex.set(entry, index);
  }
  return index;
}

/** Bytes as one little-endian number (up to 8 bytes; exact below 2^53). */
export function littleEndian(bytes: Uint8Array): number {
  let v = 0n;
  for (let i = Math.min(bytes.length, 8) - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i] as number);
  return Number(v);
}

/**
 * The data fd a step means: a named one (set-state's fd-as), or the newest MIG_DEVICE_STATE returned.
 * @throws KernelError EBADF when there is none (as reading fd -1 would)
 */
export function dataFd(entry: DeviceEntry, name: string | undefined): number {
  const fd = name !== undefined ? entry.dataFds.get(name) : entry.newestDataFd;
  if (fd === undefined)
    throw new KernelError(
      'EBADF',
      `${entry.pciName}: no data fd${name !== undefined ? ` "${name}"` : ''} is open`,
    );
  return fd;
}

/** The bytes of `parts`, one after the other, in a new array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Append `bytes` to the buffer `name` (made if new). */
export function appendBuffer(buffers: Map<string, Uint8Array>, name: string, bytes: Uint8Array): void {
  buffers.set(name, concatBytes([buffers.get(name) ?? new Uint8Array(0), bytes]));
}
