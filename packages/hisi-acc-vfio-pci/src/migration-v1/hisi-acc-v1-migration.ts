import {
  deviceStateName,
  type MigrationRegionV1,
  type MigrationV1Driver,
  VFIO_DEVICE_STATE_V1_RESUMING as RESUMING,
  VFIO_DEVICE_STATE_V1_RUNNING as RUNNING,
  VFIO_DEVICE_STATE_V1_SAVING as SAVING,
  VFIO_DEVICE_STATE_V1_STOP as STOP,
} from '@vfio-sim/migration-v1';
import { KernelError } from '@vfio-sim/platform';
import { QM_NOT_READY } from '@vfio-sim/qm-hw';
import type { HisiAccVfCoreDevice } from '../core/hisi-acc-vf-core-device.js';
import { type AccVfState, decodeAccVfDataV1, encodeAccVfDataV1 } from '../state/acc-vf-state.js';
import { vfQmCheckMatch } from '../state/check-match.js';
import { vfQmLoadData } from '../state/load-data.js';
import { vfQmGetMatchData } from '../state/match-data.js';
import { hisiAccVfStartDevice } from '../state/start-device.js';
import { vfQmStateSave } from '../state/state-save.js';
import { hisiAccVfStopDevice } from '../state/stop-device.js';
import { hisiAccVfStopOrRestart } from '../state/stop-or-restart.js';

const PRE_COPY = SAVING | RUNNING;

/** The arcs the driver implements, `from→to` on masked v1 states; every other arc is EINVAL. */
export const HISI_ACC_V1_ARCS: ReadonlySet<string> = new Set([
  `${RUNNING}->${PRE_COPY}`,
  `${RUNNING}->${SAVING}`,
  `${PRE_COPY}->${SAVING}`,
  `${PRE_COPY}->${RUNNING}`,
  `${PRE_COPY}->${STOP}`,
  `${SAVING}->${STOP}`,
  `${SAVING}->${RUNNING}`,
  `${RUNNING}->${STOP}`,
  `${STOP}->${RUNNING}`,
  `${STOP}->${SAVING}`,
  `${RUNNING}->${RESUMING}`,
  `${STOP}->${RESUMING}`,
  `${RESUMING}->${RUNNING}`,
  `${RESUMING}->${STOP}`,
]);

/**
 * The hisi VF behind the v1 migration region (the RFC's `hisi_acc_vf_migration_*` handlers, done as the
 * v1 uAPI text says):
 *
 * - RUNNING → SAVING|RUNNING: the match data (32 bytes), read through the PF only.
 * - → SAVING (stop-and-copy): map the VF window, stop the VF (PAUSE_QM, interrupt check, cache
 *   write-back) and save its state (168 bytes; 32 if the guest driver never started). A failure
 *   restarts the VF and unmaps the window: the source keeps running.
 * - SAVING → STOP: the device stays stopped. SAVING/STOP → RUNNING (cancel or abort): restart the VF
 *   (SQ doorbells on its queues) and unmap the window.
 * - → RESUMING: the device is stopped (the v1 uAPI's 100b is "device stopped and the device state is
 *   resuming"): from RUNNING the VF is stopped as for RUNNING → STOP. Every chunk is checked against this
 *   VF (device id, queue count, isolation) before it is kept; RESUMING → RUNNING/STOP restores the
 *   registers (then RUNNING restarts the queues — also when nothing was loaded).
 *
 * Kernel counterpart: the RFC v2/v3 `hisi_acc_vfio_pci_migrn_ops` / `acc_vf_migration.c`.
 */
export class HisiAccMigrationV1 implements MigrationV1Driver {
  private pending: Uint8Array | undefined;
  private loaded: AccVfState | undefined;
  /** The region this driver serves (to declare the error state when the device state is lost). */
  region: MigrationRegionV1 | undefined;

  constructor(private readonly hdev: HisiAccVfCoreDevice) {}

  transition(from: number, to: number): void {
    const arc = `${from}->${to}`;
    if (!HISI_ACC_V1_ARCS.has(arc)) {
      throw new KernelError(
        'EINVAL',
        `${this.hdev.name}: v1 arc ${deviceStateName(from)} → ${deviceStateName(to)} is not supported`,
      );
    }
    const hdev = this.hdev;
    switch (arc) {
      case `${RUNNING}->${PRE_COPY}`:
        this.pending = encodeAccVfDataV1({ match: vfQmGetMatchData(hdev), vfQmState: QM_NOT_READY });
        return;
      case `${RUNNING}->${SAVING}`:
      case `${PRE_COPY}->${SAVING}`:
        this.pending = hisiAccVfStopOrRestart(hdev, () => {
          hisiAccVfStopDevice(hdev);
          return encodeAccVfDataV1(vfQmStateSave(hdev, vfQmGetMatchData(hdev)));
        });
        return;
      case `${STOP}->${SAVING}`:
        this.pending = encodeAccVfDataV1(vfQmStateSave(hdev, vfQmGetMatchData(hdev)));
        return;
      case `${RUNNING}->${STOP}`:
      case `${PRE_COPY}->${STOP}`:
        hisiAccVfStopOrRestart(hdev, () => hisiAccVfStopDevice(hdev));
        this.pending = undefined;
        return;
      case `${SAVING}->${STOP}`:
        this.pending = undefined;
        return;
      case `${PRE_COPY}->${RUNNING}`:
        this.pending = undefined;
        return;
      case `${SAVING}->${RUNNING}`:
      case `${STOP}->${RUNNING}`:
        hisiAccVfStartDevice(hdev);
        hdev.window.unmap();
        this.pending = undefined;
        return;
      case `${RUNNING}->${RESUMING}`:
        // 100b is "device stopped and the device state is resuming": stop the VF as RUNNING → STOP does
        // (a failed stop restarts it and the device stays RUNNING).
        hisiAccVfStopOrRestart(hdev, () => hisiAccVfStopDevice(hdev));
        this.pending = undefined;
        this.loaded = undefined;
        return;
      case `${STOP}->${RESUMING}`:
        hdev.window.map();
        this.loaded = undefined;
        return;
      case `${RESUMING}->${RUNNING}`:
      case `${RESUMING}->${STOP}`:
        this.restore(to === RUNNING);
        return;
    }
  }

  savePending(): number {
    return this.pending?.length ?? 0;
  }

  saveChunk(max: number): Uint8Array {
    const data = this.pending ?? new Uint8Array(0);
    const chunk = data.subarray(0, Math.min(max, data.length));
    this.pending = data.length > chunk.length ? data.subarray(chunk.length) : undefined;
    return chunk;
  }

  loadChunk(data: Uint8Array): void {
    const state = decodeAccVfDataV1(data);
    vfQmCheckMatch(this.hdev, state.match);
    this.loaded = state;
  }

  /** The v1 session ends; the device-level reset (state, window, pause) is `hisiAccVfReset`'s. */
  reset(): void {
    this.pending = undefined;
    this.loaded = undefined;
  }

  private restore(start: boolean): void {
    const hdev = this.hdev;
    const state = this.loaded;
    // Registers half written by a failed restore: the region's error state (only a reset recovers).
    if (state !== undefined) vfQmLoadData(hdev, state, () => this.region?.setError());
    this.loaded = undefined;
    if (start) {
      hisiAccVfStartDevice(hdev);
      hdev.window.unmap();
    }
  }
}
