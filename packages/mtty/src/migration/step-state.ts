import { migStateName, type VfioDeviceMigState } from '@vfio-sim/migration-v2';
import { KernelError, type KernelFile } from '@vfio-sim/platform';
import type { MttyMdevState } from '../device/mdev-state.js';
import {
  mttyDisableFiles,
  mttyLoadState,
  mttyResumeDeviceData,
  mttySaveDeviceData,
} from './mtty-migration-file.js';

/**
 * What an arc does in mtty:
 * - `nothing`: mtty does no DMA and needs no explicit start/stop, so the P2P arcs (and STOP ↔ RUNNING_P2P)
 *   change nothing at all;
 * - `save`: open the saving file (header; header + ports into STOP_COPY) and return its fd, or — from
 *   PRE_COPY_P2P — append the ports to the open file, no new fd;
 * - `resume`: open the resuming file and return its fd;
 * - `load`: load the received ports (EINVAL if incomplete), then end the session;
 * - `disable`: end the session (the files answer ENODEV).
 */
export type MttyArcAction = 'nothing' | 'save' | 'resume' | 'load' | 'disable';

/** An arc's key in {@link MTTY_ARCS}: `FROM>TO` with the uAPI state names. */
export function mttyArcKey(cur: number, next: number): string {
  return `${migStateName(cur)}>${migStateName(next)}`;
}

/**
 * Every arc `vfio_mig_get_next_state()` produces for STOP_COPY | P2P | PRE_COPY, and what mtty does on it
 * (the three groups of `mtty_step_state()`). Any other arc is a WARN_ON and EINVAL.
 */
export const MTTY_ARCS: ReadonlyMap<string, MttyArcAction> = new Map<string, MttyArcAction>([
  ['RUNNING>RUNNING_P2P', 'nothing'],
  ['RUNNING_P2P>RUNNING', 'nothing'],
  ['RUNNING_P2P>STOP', 'nothing'],
  ['PRE_COPY>PRE_COPY_P2P', 'nothing'],
  ['PRE_COPY_P2P>PRE_COPY', 'nothing'],
  ['STOP>RUNNING_P2P', 'nothing'],
  ['RESUMING>STOP', 'load'],
  ['PRE_COPY>RUNNING', 'disable'],
  ['PRE_COPY_P2P>RUNNING_P2P', 'disable'],
  ['STOP_COPY>STOP', 'disable'],
  ['RUNNING>PRE_COPY', 'save'],
  ['RUNNING_P2P>PRE_COPY_P2P', 'save'],
  ['STOP>STOP_COPY', 'save'],
  ['PRE_COPY_P2P>STOP_COPY', 'save'],
  ['STOP>RESUMING', 'resume'],
]);

/**
 * `mtty_step_state()`: perform the arc `cur → next` (one step of the set-state loop) and return the new
 * data file when the arc opens a session.
 * @throws KernelError EINVAL (an incomplete blob at RESUMING → STOP; an arc mtty does not know).
 */
export function mttyStepState(
  mdevState: MttyMdevState,
  cur: VfioDeviceMigState,
  next: VfioDeviceMigState,
): KernelFile<unknown> | undefined {
  const action = MTTY_ARCS.get(mttyArcKey(cur, next));
  switch (action) {
    case 'nothing':
      return undefined;
    case 'save':
      return mttySaveDeviceData(mdevState, next);
    case 'resume':
      return mttyResumeDeviceData(mdevState);
    case 'load':
      mttyLoadState(mdevState);
      mttyDisableFiles(mdevState);
      return undefined;
    case 'disable':
      mttyDisableFiles(mdevState);
      return undefined;
    case undefined:
      throw new KernelError('EINVAL', `${mdevState.name}: arc ${mttyArcKey(cur, next)} (WARN_ON)`);
  }
}
