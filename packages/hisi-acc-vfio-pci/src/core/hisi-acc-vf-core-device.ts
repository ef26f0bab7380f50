import type { MigrationRegionV1 } from '@vfio-sim/migration-v1';
import { VFIO_DEVICE_STATE_RUNNING, type VfioMigrationFile } from '@vfio-sim/migration-v2';
import { KernelError } from '@vfio-sim/platform';
import { HisiQm, QM_NOT_READY, type QM_READY } from '@vfio-sim/qm-hw';
import type { PciDev, VfioDeviceOps, VfioPciCoreDeviceOptions } from '@vfio-sim/vfio-core';
import { VFIO_PCI_BAR2_REGION_INDEX, VfioPciCoreDevice } from '@vfio-sim/vfio-core';
import type { AccVfMatch } from '../state/acc-vf-state.js';
import { VfBar2Window } from './vf-bar2-window.js';

/**
 * The variant driver's device: vfio-pci-core's device plus what the driver needs to migrate the VF.
 *
 * Kernel counterpart: `struct hisi_acc_vf_core_device` (hisi_acc_vfio_pci.h).
 */
export class HisiAccVfCoreDevice extends VfioPciCoreDevice {
  /** The PF's `struct hisi_qm` (from the PF driver through pci_iov_get_pf_drvdata). */
  readonly pfQm: HisiQm;
  /** `vf_id`: the QM function number of this VF (pci_iov_vf_id + 1; the PF is function 0). */
  readonly vfId: number;
  /** The host's gated mapping of the VF's BAR2 (`vf_qm.io_base`). */
  readonly window: VfBar2Window;
  /**
   * The VF as the host driver drives it (`vf_qm`): only the mailbox, doorbells, queue range and DMA
   * address fields are used. Its `ioBase` is {@link window}.
   */
  readonly vfQm: HisiQm;
  /** `vf_qm_state`: whether the guest's VF driver was running (mirror of QM_VF_STATE). */
  vfQmState: typeof QM_READY | typeof QM_NOT_READY = QM_NOT_READY;
  /** Set when this driver issued PAUSE_QM; cleared by the restart doorbells. */
  paused = false;
  /**
   * Set when a restore loaded the SQC/CQC base tables of a running guest's state (the chip holds no
   * queue context then: the restart must reload every queue's); cleared by the restart.
   */
  baseTablesLoaded = false;
  /** The v1 migration region, while the device is open. */
  migRegionV1: MigrationRegionV1 | undefined;
  /** `mig_state`: the v2 migration state (RUNNING at open and after a reset). */
  migState: number = VFIO_DEVICE_STATE_RUNNING;
  /** `saving_migf`: the v2 saving session's file (PRE_COPY / STOP_COPY), with the driver's reference. */
  savingMigf: VfioMigrationFile | undefined;
  /** The match data of the saving session (read at its start, reused for the full state). */
  savingMatch: AccVfMatch | undefined;
  /** `resuming_migf`: the v2 resuming session's file (RESUMING), with the driver's reference. */
  resumingMigf: VfioMigrationFile | undefined;

  constructor(
    pdev: PciDev,
    ops: VfioDeviceOps,
    options: VfioPciCoreDeviceOptions,
    pfQm: HisiQm,
    vfId: number,
  ) {
    super(pdev, ops, options);
    this.pfQm = pfQm;
    this.vfId = vfId;
    const bar2 = pdev.bars[VFIO_PCI_BAR2_REGION_INDEX];
    if (bar2 === undefined) throw new KernelError('ENODEV', `${pdev.name}: no BAR2`);
    this.window = new VfBar2Window(bar2, pdev.name);
    this.vfQm = new HisiQm({
      ioBase: this.window,
      clock: pfQm.clock,
      funType: 'VF',
      ver: pfQm.ver,
      deviceId: pdev.device,
      ...(pfQm.tracer !== undefined ? { tracer: pfQm.tracer } : {}),
      name: `${pdev.name} (vfio)`,
    });
  }

  /** Half of BAR2: the functional registers the guest may reach. */
  get bar2Half(): number {
    return this.window.size / 2;
  }
}
