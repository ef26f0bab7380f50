import { QmStateWords } from '@vfio-sim/qm-hw';
import { deviceSnapshotWithoutHardware, snapshotDiff } from './snapshot.js';
import type { DeviceEntry } from './world.js';

/**
 * What {@link deviceSnapshot} holds of one device, kept to be compared: the QM function's state (its
 * registers and ≈ 250 queue contexts) as qm-hw's {@link QmStateWords} — a typed array reused from one
 * reading to the next, no object per queue — and the rest (migration state, data sessions, host window,
 * the VMM process's fds and iommufd objects) as the snapshot has it. Two readings differ exactly where
 * two device snapshots do; taking one changes nothing in the model (no system call).
 *
 * Kernel counterpart: none (a test harness's view of the device, as {@link snapshot}).
 */
export class DeviceFingerprint {
  private readonly hardware = new QmStateWords();
  private rest: Record<string, unknown> = {};
  private where = '';

  /** Read `entry`'s device and VMM process into this fingerprint (its buffers are reused). */
  take(entry: DeviceEntry): this {
    this.hardware.read(entry.host.qmFunction(entry.pciName));
    this.rest = deviceSnapshotWithoutHardware(entry);
    this.where = `${entry.host.name} ${entry.pciName}`;
    return this;
  }

  /**
   * The first difference from `before` (this being after), as `where: before → after` in the terms of
   * {@link snapshotDiff} (`host 0000:75:00.1 hardware queue 3 sqc[0]: 0x0 → 0x30000`), or undefined.
   */
  diff(before: DeviceFingerprint): string | undefined {
    const rest = snapshotDiff(before.rest, this.rest);
    if (rest !== undefined) return rest;
    const hardware = this.hardware.diff(before.hardware);
    return hardware === undefined ? undefined : `${this.where} hardware ${hardware}`;
  }
}
