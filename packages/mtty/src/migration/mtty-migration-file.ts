import { VfioMigrationFile } from '@vfio-sim/migration-v2';
import { KernelError, type KernelFile } from '@vfio-sim/platform';
import { VFIO_DEVICE_STATE_STOP_COPY } from '@vfio-sim/vfio-core';
import type { MttyMdevState } from '../device/mdev-state.js';
import {
  MTTY_DATA_PORTS_OFFSET,
  MTTY_MAGIC,
  MTTY_MAJOR_VER,
  MTTY_MINOR_VER,
  mtty_data,
  mttyDataHeader,
  mttyDataSize,
  serial_port,
} from '../uapi/mtty-data.js';

/** The anon inode name of mtty's data files. */
export const MTTY_MIG = 'mtty_mig';

/**
 * `mtty_save_state()`: append every port's `struct serial_port` after the header of the saving file (the
 * blob is then complete: `mtty_data_size()` bytes).
 */
export function mttySaveState(mdevState: MttyMdevState): void {
  const migf = mdevState.savingMigf!;
  mdevState.ports.forEach((port, i) => {
    migf.fill(port.bytes, MTTY_DATA_PORTS_OFFSET + i * serial_port.size);
  });
}

/**
 * `mtty_save_device_data()`: the saving side of an arc into `state` (PRE_COPY, PRE_COPY_P2P or
 * STOP_COPY). Without a session: a new read-only file holding the header (24 bytes) — plus the ports when
 * `state` is STOP_COPY — returned with a reference for the user's fd. With one (PRE_COPY_P2P →
 * STOP_COPY): the ports are appended to the same file and no new fd is returned.
 */
export function mttySaveDeviceData(mdevState: MttyMdevState, state: number): KernelFile<unknown> | undefined {
  if (mdevState.savingMigf !== undefined) {
    if (state === VFIO_DEVICE_STATE_STOP_COPY) mttySaveState(mdevState);
    return undefined;
  }
  const migf = VfioMigrationFile.saving({
    name: MTTY_MIG,
    capacity: mttyDataSize(mdevState.nrPorts),
    migState: () => mdevState.migState,
  });
  migf.fill(mttyDataHeader(mdevState.nrPorts));
  mdevState.savingMigf = migf;
  if (state === VFIO_DEVICE_STATE_STOP_COPY) mttySaveState(mdevState);
  return migf.filp.get();
}

/**
 * The header check `mtty_resume_write()` runs once the header is complete: magic, flags 0, version 1.0
 * and this device's port count. @throws KernelError EFAULT (the sample's errno) naming the mismatch
 */
export function mttyCheckHeader(mdevState: MttyMdevState, blob: Uint8Array): void {
  const h = mtty_data.decode(blob);
  const bad =
    h.magic !== MTTY_MAGIC
      ? `magic 0x${h.magic.toString(16)}`
      : h.flags !== 0
        ? `flags 0x${h.flags.toString(16)}`
        : h.major_ver !== MTTY_MAJOR_VER || h.minor_ver !== MTTY_MINOR_VER
          ? `version ${h.major_ver}.${h.minor_ver}`
          : h.nr_ports !== mdevState.nrPorts
            ? `${h.nr_ports} ports for a ${mdevState.nrPorts}-port device`
            : undefined;
  if (bad !== undefined)
    throw new KernelError('EFAULT', `${mdevState.name}: mtty data failed validation: ${bad}`);
}

/**
 * `mtty_resume_device_data()`: a new write-only file taking up to `mtty_data_size()` bytes (more is
 * ENOMEM); the write that completes the 24-byte header has it checked ({@link mttyCheckHeader}, EFAULT).
 * Returned with a reference for the user's fd.
 */
export function mttyResumeDeviceData(mdevState: MttyMdevState): KernelFile<unknown> {
  const migf: VfioMigrationFile = VfioMigrationFile.resuming({
    name: MTTY_MIG,
    capacity: mttyDataSize(mdevState.nrPorts),
    checkData: (received) => {
      if (migf.totalLength < MTTY_DATA_PORTS_OFFSET && received.length >= MTTY_DATA_PORTS_OFFSET) {
        mttyCheckHeader(mdevState, received);
      }
    },
  });
  mdevState.resumingMigf = migf;
  return migf.filp.get();
}

/**
 * `mtty_load_state()`: copy the received port records into the device. A blob shorter than
 * `mtty_data_size()` is EINVAL and nothing is loaded (the header was already checked by the writes).
 * Differs on purpose: with no resuming file (the device fd was closed while RESUMING, which disables the
 * files but keeps the state) it is EINVAL too; the sample dereferences the NULL file.
 */
export function mttyLoadState(mdevState: MttyMdevState): void {
  const migf = mdevState.resumingMigf;
  const expected = mttyDataSize(mdevState.nrPorts);
  const received = migf?.totalLength ?? 0;
  if (migf === undefined || received < expected) {
    throw new KernelError('EINVAL', `${mdevState.name}: expected ${expected} bytes, got ${received}`);
  }
  mdevState.ports.forEach((port, i) => {
    const at = MTTY_DATA_PORTS_OFFSET + i * serial_port.size;
    port.bytes.set(migf.data.subarray(at, at + serial_port.size));
  });
}

/**
 * `mtty_disable_files()`: end both sessions — the files are disabled (reads and writes ENODEV from now
 * on) and the driver drops its references.
 */
export function mttyDisableFiles(mdevState: MttyMdevState): void {
  for (const migf of [mdevState.savingMigf, mdevState.resumingMigf]) {
    if (migf === undefined) continue;
    migf.disable();
    migf.filp.put();
  }
  mdevState.savingMigf = undefined;
  mdevState.resumingMigf = undefined;
}
