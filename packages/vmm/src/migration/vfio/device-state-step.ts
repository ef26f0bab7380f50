import type { Tracer } from '@vfio-sim/platform';
import type { DeviceStateStep } from '../../report/migration-report.js';

/**
 * The device's migration state read back after client step `step` (`state` and its uAPI `name`), as
 * an instant `migration.state` event on `tracer` when it traces.
 *
 * VMM counterpart: the `vfio_migration_set_state` / `vfio_save_*` trace events of hw/vfio/migration.c.
 */
export function deviceStateStep(tracer: Tracer, step: string, state: number, name: string): DeviceStateStep {
  if (tracer.enabled) tracer.instant('migration.state', name, { step, device_state: state });
  return { step, state, name };
}
