import { KernelError } from '@vfio-sim/platform';
import type { HisiAccVfCoreDevice } from '../core/hisi-acc-vf-core-device.js';
import { hisiAccVfStartDevice } from './start-device.js';

/**
 * Run a stop step (stop the VF, save its state) with the host window on the VF registers mapped — the
 * vCPUs are stopped — and, if the step fails, restart the VF (it may already be paused) and unmap the
 * window before rethrowing the step's error, so the source keeps running exactly as before. Both
 * protocols' stop arcs run through here.
 *
 * Kernel counterpart: none — upstream leaves a VF that failed after PAUSE_QM paused (defects I and J);
 * this is the model's fix. If the restart itself fails, the step's errno is still what the caller sees.
 */
export function hisiAccVfStopOrRestart<T>(hdev: HisiAccVfCoreDevice, step: () => T): T {
  hdev.window.map();
  try {
    return step();
  } catch (e) {
    try {
      hisiAccVfStartDevice(hdev);
    } catch (restartError) {
      // The stop step's errno is the one to report; a failed restart leaves `paused` set.
      if (!(restartError instanceof KernelError)) throw restartError;
    } finally {
      hdev.window.unmap();
    }
    throw e;
  }
}
