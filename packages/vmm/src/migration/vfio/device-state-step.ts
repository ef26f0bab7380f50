import type { Tracer } from '@vfio-sim/platform';
import type { DeviceStateStep } from '../../report/migration-report.js';

/**
 * The device's migration state read back after client step `step` (`state` and its uAPI `name`), as
 * an instant `migration.state` event on `tracer` when it traces (args: the `device`'s PCI name, the
 * step, `device_state`), so a reader of the trace knows when each device was in which state.
 *
 * VMM counterpart: the `vfio_migration_set_state` / `vfio_save_*` trace events of hw/vfio/migration.c
 * (which name the device too).
 */
export function deviceStateStep(
  tracer: Tracer,
  device: string,
  step: string,
  state: number,
  name: string,
): DeviceStateStep {
  if (tracer.enabled) tracer.instant('migration.state', name, { device, step, device_state: state });
  return { step, state, name };
}
