import { vfioMigSetStateLoop } from '@vfio-sim/migration-v2';
import type { VfioLogOps, VfioMigrationOps } from '@vfio-sim/vfio-core';
import type { MttyMdevState } from '../device/mdev-state.js';
import { mttyDataSize } from '../uapi/mtty-data.js';
import { mttyStepState } from './step-state.js';

/**
 * mtty's `vfio_migration_ops`: `migration_set_state` runs migration-v2's set-state loop over
 * {@link mttyStepState} (the state stays at the last completed arc when one fails), `migration_get_state`
 * reads it, `migration_get_data_size` is `mtty_data_size()` whatever the state.
 *
 * Kernel counterpart: `mtty_migration_ops` = { `mtty_set_state`, `mtty_get_state`, `mtty_get_data_size` }.
 */
export const MTTY_MIGRATION_OPS: VfioMigrationOps<MttyMdevState> = {
  migrationSetState: (mdevState, newState) =>
    vfioMigSetStateLoop(mdevState, newState, (cur, next) => mttyStepState(mdevState, cur, next)),
  migrationGetState: (mdevState) => mdevState.migState,
  migrationGetDataSize: (mdevState) => mttyDataSize(mdevState.nrPorts),
};

/**
 * mtty's `vfio_log_ops`: all three succeed and do nothing — the device never DMAs, so nothing is ever
 * dirty. `log_start` leaves the page size as the user asked. They make QEMU see device dirty tracking
 * (DMA_LOGGING_START probes positive).
 *
 * Kernel counterpart: `mtty_log_ops` = { `mtty_log_start`, `mtty_log_stop`, `mtty_log_read_and_clear` }.
 */
export const MTTY_LOG_OPS: VfioLogOps<MttyMdevState> = {
  logStart: (_mdevState, _ranges, pageSize) => pageSize,
  logStop: () => {},
  logReadAndClear: () => {},
};
