import { KernelError, type KernelFile } from '@vfio-sim/platform';
import { migStateName, type VfioDeviceMigState } from '../fsm/mig-state.js';
import { vfioMigGetNextState } from '../fsm/next-state.js';

/** What the loop needs of a device: its current state (which the loop advances) and its flags. */
export interface VfioMigStateDevice {
  /** `mig_state`: the state of the last completed arc. A step may set ERROR before it throws. */
  migState: number;
  /** `migration_flags`. */
  readonly migrationFlags: number;
  /** For messages. */
  readonly name: string;
}

/**
 * One arc of a driver's state machine: perform `cur → next` (an arc `vfioMigGetNextState` produced)
 * and return the new data file if the arc opens a session (RUNNING→PRE_COPY, RUNNING_P2P→PRE_COPY_P2P,
 * STOP→STOP_COPY, STOP→RESUMING), else undefined. Throw a KernelError on failure.
 *
 * Kernel counterpart: `hisi_acc_vf_set_device_state()`, `mlx5vf_pci_step_device_state_locked()`,
 * `mtty_step_state()`.
 */
export type VfioMigStepFn = (
  cur: VfioDeviceMigState,
  next: VfioDeviceMigState,
) => KernelFile<unknown> | undefined;

/**
 * The loop every v2 driver's `migration_set_state` runs (under its state mutex in C): while the device
 * is not in `newState`, get the next step with `vfio_mig_get_next_state`, perform the arc, record the
 * state. A failed step stops the loop: `dev.migState` stays at the last completed arc (or whatever the
 * step set, e.g. ERROR) and the error propagates. A file returned by an arc that is not the last one is
 * a driver bug (WARN_ON in C): the file is dropped and the call fails with EINVAL, the arc's state kept.
 *
 * Kernel counterpart: `hisi_acc_vfio_pci_set_device_state()` (and mlx5's / mtty's identical loops).
 * @returns the data file of the final arc, or undefined.
 * @throws KernelError EINVAL for an unsupported target or no path (from vfioMigGetNextState, before any
 * arc runs); the step's error.
 */
export function vfioMigSetStateLoop(
  dev: VfioMigStateDevice,
  newState: number,
  step: VfioMigStepFn,
): KernelFile<unknown> | undefined {
  let res: KernelFile<unknown> | undefined;
  while (dev.migState !== newState) {
    const cur = dev.migState as VfioDeviceMigState;
    const next = vfioMigGetNextState(dev.migrationFlags, cur, newState);
    res = step(cur, next);
    dev.migState = next;
    if (res !== undefined && dev.migState !== newState) {
      res.put();
      throw new KernelError(
        'EINVAL',
        `${dev.name}: arc ${migStateName(cur)} → ${migStateName(next)} returned a file before reaching ${migStateName(newState)}`,
      );
    }
  }
  return res;
}
