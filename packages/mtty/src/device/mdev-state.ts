import type { VfioMigrationFile } from '@vfio-sim/migration-v2';
import {
  type MdevDevice,
  VFIO_DEVICE_STATE_RUNNING,
  VFIO_PCI_NUM_REGIONS,
  VfioDevice,
  type VfioDeviceOps,
} from '@vfio-sim/vfio-core';
import { MTTY_CONFIG_SPACE_SIZE } from './config-space.js';
import { SerialPort } from './serial-port.js';

/**
 * One mtty device: the vfio device of an mdev plus everything the sample keeps per device — the port
 * count of its type, the emulated config space and BAR masks, two serial ports (a one-port device uses
 * only the first), the region sizes GET_REGION_INFO reported, the `num_irqs` GET_INFO reported, and the
 * v2 migration state with its saving and resuming files.
 *
 * Kernel counterpart: `struct mdev_state` (samples/vfio-mdev/mtty.c), which embeds `struct vfio_device`.
 */
export class MttyMdevState extends VfioDevice {
  /** `nr_ports`: 1 or 2, from the mdev type (set by `init`). */
  nrPorts = 0;
  /** `irq_index`: -1, none configured (SET_IRQS is not modelled). */
  irqIndex = -1;
  /** `vconfig`: the emulated PCI config space. */
  readonly vconfig = new Uint8Array(MTTY_CONFIG_SPACE_SIZE);
  /** `bar_mask[]`: what a BAR sizing write leaves (set with the config space). */
  barMask: Uint32Array = new Uint32Array(6);
  /** `region_info[].size` as the last GET_REGION_INFO of each index answered (0 until asked). */
  readonly regionSize = new Uint32Array(VFIO_PCI_NUM_REGIONS);
  /** `s[2]`: the serial ports. */
  readonly s: readonly [SerialPort, SerialPort] = [new SerialPort(), new SerialPort()];
  /**
   * `dev_info.num_irqs` as the last VFIO_DEVICE_GET_INFO answered: 0 until the user asks, so GET_IRQ_INFO
   * before GET_INFO is EINVAL (the sample checks the index against this copy).
   */
  devInfoNumIrqs = 0;
  /** `state`: the v2 migration state (RUNNING after `init` and after a reset). */
  migState: number = VFIO_DEVICE_STATE_RUNNING;
  /** `saving_migf`: the saving session's file (PRE_COPY, PRE_COPY_P2P, STOP_COPY), the driver's reference. */
  savingMigf: VfioMigrationFile | undefined = undefined;
  /** `resuming_migf`: the resuming session's file (RESUMING), the driver's reference. */
  resumingMigf: VfioMigrationFile | undefined = undefined;

  constructor(
    /** `mdev_state->mdev`: the mediated device this vfio device belongs to (its UUID is the name). */
    readonly mdev: MdevDevice,
    ops: VfioDeviceOps,
  ) {
    super(mdev.uuid, ops);
  }

  /** The ports this device has (`s[0 .. nr_ports)`). */
  get ports(): SerialPort[] {
    return this.s.slice(0, this.nrPorts);
  }
}
