import {
  VFIO_DEVICE_STATE_ERROR as ERROR,
  migStateName,
  VFIO_DEVICE_STATE_PRE_COPY as PRE_COPY,
  VFIO_DEVICE_STATE_RESUMING as RESUMING,
  VFIO_DEVICE_STATE_RUNNING as RUNNING,
  VFIO_DEVICE_STATE_STOP as STOP,
  VFIO_DEVICE_STATE_STOP_COPY as STOP_COPY,
  VFIO_MIGRATION_PRE_COPY,
  VFIO_MIGRATION_STOP_COPY,
  type VfioDeviceMigState,
  VfioMigrationFile,
  vfioMigSetStateLoop,
} from '@vfio-sim/migration-v2';
import { KernelError, type KernelFile } from '@vfio-sim/platform';
import { QM_NOT_READY, QM_READY } from '@vfio-sim/qm-hw';
import type { VfioMigrationOps } from '@vfio-sim/vfio-core';
import type { HisiAccVfCoreDevice } from '../core/hisi-acc-vf-core-device.js';
import { acc_vf_data, QM_MATCH_SIZE } from '../state/acc-vf-data.js';
import {
  type AccVfMatch,
  decodeAccVfData,
  decodeAccVfDataHeader,
  encodeAccVfData,
} from '../state/acc-vf-state.js';
import { vfQmCheckMatch } from '../state/check-match.js';
import { vfQmLoadData } from '../state/load-data.js';
import { vfQmGetMatchData } from '../state/match-data.js';
import { hisiAccVfStartDevice } from '../state/start-device.js';
import { vfQmStateSave } from '../state/state-save.js';
import { hisiAccVfStopDevice } from '../state/stop-device.js';
import { hisiAccVfStopOrRestart } from '../state/stop-or-restart.js';

/** The anon inode name of the data files. */
export const HISI_ACC_VF_MIG = 'hisi_acc_vf_mig';

/** `migration_flags` of a migratable hisi VF (v6.3+): STOP_COPY | PRE_COPY (no P2P: no P2P DMA). */
export const HISI_ACC_MIGRATION_FLAGS = VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_PRE_COPY;

/** The v2 arcs the driver implements (`FROM>TO`); the FSM never asks for others with these flags. */
export const HISI_ACC_V2_ARCS: ReadonlySet<string> = new Set([
  'RUNNING>PRE_COPY',
  'PRE_COPY>STOP_COPY',
  'RUNNING>STOP',
  'STOP>STOP_COPY',
  'STOP_COPY>STOP',
  'STOP>RESUMING',
  'RESUMING>STOP',
  'PRE_COPY>RUNNING',
  'STOP>RUNNING',
]);

/**
 * `hisi_acc_vf_disable_fds()`: end both sessions: disable the files (later reads/writes ENODEV) and drop
 * the driver's references.
 */
export function hisiAccVfDisableFds(hdev: HisiAccVfCoreDevice): void {
  for (const migf of [hdev.savingMigf, hdev.resumingMigf]) {
    if (migf === undefined) continue;
    migf.disable();
    migf.filp.put();
  }
  hdev.savingMigf = undefined;
  hdev.resumingMigf = undefined;
  hdev.savingMatch = undefined;
}

/**
 * `hisi_acc_vf_reset()` (from reset_done and open): the device lost its state, every session ends, the
 * state is RUNNING. Also: nothing paused any more, the host window unmapped (the guest owns the VF).
 */
export function hisiAccVfReset(hdev: HisiAccVfCoreDevice): void {
  hdev.vfQmState = QM_NOT_READY;
  hdev.migState = RUNNING;
  hisiAccVfDisableFds(hdev);
  hdev.paused = false;
  hdev.baseTablesLoaded = false;
  hdev.window.unmap();
}

/** The match data as the saving file carries it: 40 bytes, `vf_qm_state` QM_READY (0, as kzalloc left it). */
function matchBytes(match: AccVfMatch): Uint8Array {
  return encodeAccVfData({ match, vfQmState: QM_READY }).subarray(0, QM_MATCH_SIZE);
}

/**
 * `hisi_acc_open_saving_migf()`: a new read-only stream file with the match data (read through the PF
 * only, so allowed while the guest runs). The driver keeps a reference (`get_file`).
 */
function openSavingMigf(hdev: HisiAccVfCoreDevice): KernelFile<unknown> {
  const match = vfQmGetMatchData(hdev);
  const migf = VfioMigrationFile.saving({
    name: HISI_ACC_VF_MIG,
    capacity: acc_vf_data.size,
    migState: () => hdev.migState,
  });
  migf.fill(matchBytes(match));
  hdev.savingMigf = migf;
  hdev.savingMatch = match;
  return migf.filp.get();
}

/**
 * `hisi_acc_vf_save_state()` into the open saving file: the full state (176 bytes) after the stop, or
 * the match data only if the guest's VF driver was not ready.
 */
function saveState(hdev: HisiAccVfCoreDevice): void {
  const migf = hdev.savingMigf!;
  const state = vfQmStateSave(hdev, hdev.savingMatch!);
  if (state.regs === undefined) migf.fill(matchBytes(state.match));
  else migf.fill(encodeAccVfData(state));
}

/**
 * The resume side's compatibility check, run by every write once 40 bytes are in (no `match_done`
 * short-cut): magic and version, device id, this VF's own VFT queue count (mailbox), PF isolation.
 * Writes nothing: a rejected write leaves the destination untouched.
 */
function checkResumeData(hdev: HisiAccVfCoreDevice, received: Uint8Array): void {
  if (received.length < QM_MATCH_SIZE) return;
  vfQmCheckMatch(hdev, decodeAccVfDataHeader(received).match);
}

/** `hisi_acc_vf_pci_resume()`: a new write-only stream file of 176 bytes. */
function openResumingMigf(hdev: HisiAccVfCoreDevice): KernelFile<unknown> {
  const migf = VfioMigrationFile.resuming({
    name: HISI_ACC_VF_MIG,
    capacity: acc_vf_data.size,
    checkData: (received) => checkResumeData(hdev, received),
  });
  hdev.resumingMigf = migf;
  return migf.filp.get();
}

/**
 * `hisi_acc_vf_load_state()`: validate the whole stream first (length and magic; the match data was
 * checked by every write), then restore. Match data only (40 bytes): nothing to restore. A mailbox that is not ready is EBUSY before
 * anything is written (state stays RESUMING); a failure after registers were written leaves the device
 * in ERROR (only a reset recovers) — the uAPI's "optionally to ERROR", so the guest never runs on a half
 * restored VF.
 */
function loadState(hdev: HisiAccVfCoreDevice): void {
  // Every accepted write passed the match check, so the bytes here are checked already.
  const state = decodeAccVfData(hdev.resumingMigf!.bytes);
  vfQmLoadData(hdev, state, () => {
    hdev.migState = ERROR;
  });
}

/**
 * One arc of the merged driver (v6.3+ arcs), with the model's fixes:
 *
 * | arc | action |
 * |---|---|
 * | RUNNING→PRE_COPY | saving file with the 40-byte match data (PF registers only); new fd |
 * | PRE_COPY→STOP_COPY | map the window, stop the VF, save the full state into the same file |
 * | RUNNING→STOP | map the window, stop the VF |
 * | STOP→STOP_COPY | saving file, match data, full state; new fd |
 * | STOP_COPY→STOP | end the session |
 * | STOP→RESUMING | resuming file (checked on every write); new fd |
 * | RESUMING→STOP | validate + restore, then end the session |
 * | PRE_COPY→RUNNING | end the session (the VF never stopped) |
 * | STOP→RUNNING | restart (IFC re-init + SQ doorbells), unmap the window |
 *
 * A failed stop restarts the VF and unmaps the window (the state stays where it was).
 *
 * Kernel counterpart: `hisi_acc_vf_set_device_state()`.
 * @throws KernelError EINVAL for an arc not in {@link HISI_ACC_V2_ARCS}; the failing step's errno.
 */
export function hisiAccVfSetDeviceState(
  hdev: HisiAccVfCoreDevice,
  cur: VfioDeviceMigState,
  next: VfioDeviceMigState,
): KernelFile<unknown> | undefined {
  // The kernel's chain of `if (cur == X && new == Y)` tests: numbers, no arc name built per call.
  if (cur === RUNNING && next === PRE_COPY) return openSavingMigf(hdev);
  if (cur === PRE_COPY && next === STOP_COPY) {
    hisiAccVfStopOrRestart(hdev, () => {
      hisiAccVfStopDevice(hdev);
      saveState(hdev);
    });
    return undefined;
  }
  if (cur === RUNNING && next === STOP) {
    hisiAccVfStopOrRestart(hdev, () => hisiAccVfStopDevice(hdev));
    return undefined;
  }
  if (cur === STOP && next === STOP_COPY) {
    const filp = openSavingMigf(hdev);
    try {
      saveState(hdev);
    } catch (e) {
      hisiAccVfDisableFds(hdev);
      filp.put();
      throw e;
    }
    return filp;
  }
  if ((cur === STOP_COPY && next === STOP) || (cur === PRE_COPY && next === RUNNING)) {
    hisiAccVfDisableFds(hdev);
    return undefined;
  }
  if (cur === STOP && next === RESUMING) return openResumingMigf(hdev);
  if (cur === RESUMING && next === STOP) {
    loadState(hdev);
    hisiAccVfDisableFds(hdev);
    return undefined;
  }
  if (cur === STOP && next === RUNNING) {
    hisiAccVfStartDevice(hdev);
    hdev.window.unmap();
    return undefined;
  }
  throw new KernelError(
    'EINVAL',
    `${hdev.name}: v2 arc ${migStateName(cur)}>${migStateName(next)} is not supported`,
  );
}

/**
 * The driver's `vfio_migration_ops`: set_state runs the common loop over {@link hisiAccVfSetDeviceState};
 * get_state reports `mig_state`; get_data_size is always `sizeof(struct acc_vf_data)` = 176.
 *
 * Kernel counterpart: `hisi_acc_vfio_pci_migrn_state_ops`.
 */
export const HISI_ACC_VFIO_PCI_MIGRN_STATE_OPS: VfioMigrationOps<HisiAccVfCoreDevice> = {
  migrationSetState(hdev, newState) {
    return vfioMigSetStateLoop(hdev, newState, (cur, next) => hisiAccVfSetDeviceState(hdev, cur, next));
  },
  migrationGetState: (hdev) => hdev.migState,
  migrationGetDataSize: () => acc_vf_data.size,
};
