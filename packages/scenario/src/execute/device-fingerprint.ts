import { QmStateWords } from '@vfio-sim/qm-hw';
import { snapshotDiff, writeDeviceSnapshotWithoutHardware } from './snapshot.js';
import { SnapshotTokens } from './snapshot-tokens.js';
import type { DeviceEntry } from './world.js';

/**
 * What {@link deviceSnapshot} holds of one device, kept to be compared: the QM function's state (its
 * registers and ≈ 250 queue contexts) as qm-hw's {@link QmStateWords} — a typed array reused from one
 * reading to the next, no object per queue — and the rest (migration state, data sessions, host window,
 * the VMM process's fds and iommufd objects) as the snapshot's tokens (`SnapshotTokens`, the
 * same writing the snapshot's objects are built from, in an array reused too). Two readings differ
 * exactly where two device snapshots do; taking one changes nothing in the model (no system call).
 *
 * Kernel counterpart: none (a test harness's view of the device, as {@link snapshot}).
 */
export class DeviceFingerprint {
  private readonly hardware = new QmStateWords();
  private readonly rest = new SnapshotTokens();
  private where: DeviceEntry | undefined;

  /** Read `entry`'s device and VMM process into this fingerprint (its buffers are reused). */
  take(entry: DeviceEntry): this {
    this.hardware.read(entry.host.qmFunction(entry.pciName));
    writeDeviceSnapshotWithoutHardware(entry, this.rest.clear());
    this.where = entry;
    return this;
  }

  /**
   * The first difference from `before` (this being after), as `where: before → after` in the terms of
   * {@link snapshotDiff} (`host 0000:75:00.1 hardware queue 3 sqc[0]: 0x0 → 0x30000`), or undefined.
   */
  diff(before: DeviceFingerprint): string | undefined {
    if (!this.rest.equals(before.rest)) {
      const rest = snapshotDiff(before.rest.toValue(), this.rest.toValue());
      if (rest !== undefined) return rest;
    }
    const hardware = this.hardware.diff(before.hardware);
    return hardware === undefined
      ? undefined
      : `${this.where?.host.name} ${this.where?.pciName} hardware ${hardware}`;
  }
}
