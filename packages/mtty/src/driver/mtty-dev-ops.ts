import { KernelError } from '@vfio-sim/platform';
import {
  VFIO_DEVICE_STATE_RUNNING,
  VFIO_MIGRATION_P2P,
  VFIO_MIGRATION_PRE_COPY,
  VFIO_MIGRATION_STOP_COPY,
  type VfioDeviceOps,
} from '@vfio-sim/vfio-core';
import { mttyCreateConfigSpace } from '../device/config-space.js';
import { mttyIoctl } from '../device/ioctl.js';
import { mttyRw } from '../device/mdev-access.js';
import type { MttyMdevState } from '../device/mdev-state.js';
import { MTTY_LOG_OPS, MTTY_MIGRATION_OPS } from '../migration/mig-ops.js';
import { mttyDisableFiles } from '../migration/mtty-migration-file.js';
import type { MttyDev, MttyType } from './mtty-parent.js';

/** The migration flags mtty sets at init: STOP_COPY | P2P | PRE_COPY. */
export const MTTY_MIGRATION_FLAGS = VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P | VFIO_MIGRATION_PRE_COPY;

/**
 * `mtty_init_dev()` (the `init` op): take the type's ports from the host's pool (ENOSPC when too few are
 * left), reset both ports (FIFO size 16), build the config space, and set the migration flags,
 * `mig_ops`, `log_ops` and the RUNNING state.
 */
function mttyInitDev(mdevState: MttyMdevState): void {
  const parent = mdevState.mdev.parent as MttyDev;
  const type = mdevState.mdev.type as MttyType;
  if (parent.availPorts < type.nrPorts) {
    throw new KernelError('ENOSPC', `mtty: ${type.nrPorts} ports asked, ${parent.availPorts} left`);
  }
  parent.availPorts -= type.nrPorts;
  mdevState.nrPorts = type.nrPorts;
  mdevState.irqIndex = -1;
  for (const port of mdevState.s) port.init();
  mdevState.barMask = mttyCreateConfigSpace(mdevState.vconfig, mdevState.nrPorts);
  mdevState.migrationFlags = MTTY_MIGRATION_FLAGS;
  mdevState.migOps = MTTY_MIGRATION_OPS as typeof mdevState.migOps;
  mdevState.logOps = MTTY_LOG_OPS as typeof mdevState.logOps;
  mdevState.migState = VFIO_DEVICE_STATE_RUNNING;
}

/**
 * mtty's `vfio_device_ops`, every op its own: `init` / `release` (the port pool), `read` / `write` (config
 * space and the UART BARs, split into 4/2/1-byte accesses), `ioctl` (GET_INFO, GET_REGION_INFO,
 * GET_IRQ_INFO, RESET) and `close_device` (end any migration session). No `open_device` (nothing to do
 * at open) and no `mmap` (I/O BARs: vfio_main answers EINVAL). VFIO_DEVICE_FEATURE — migration state,
 * MIG_DATA_SIZE, DMA logging — is vfio_main's, dispatched to {@link MTTY_MIGRATION_OPS} and
 * {@link MTTY_LOG_OPS}.
 *
 * Kernel counterpart: `mtty_dev_ops` (samples/vfio-mdev/mtty.c).
 */
export const MTTY_DEV_OPS: VfioDeviceOps<MttyMdevState> = {
  name: 'vfio-mtty',
  init: mttyInitDev,
  release(mdevState) {
    (mdevState.mdev.parent as MttyDev).availPorts += mdevState.nrPorts;
  },
  read: (mdevState, current, buf, count, pos) => mttyRw(mdevState, current, buf, count, pos, false),
  write: (mdevState, current, buf, count, pos) => mttyRw(mdevState, current, buf, count, pos, true),
  ioctl: mttyIoctl,
  closeDevice: mttyDisableFiles,
};
