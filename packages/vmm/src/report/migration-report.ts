import type { IoPgtableFormatName } from '@vfio-sim/iommufd';
import type { GuestMemoryComparison } from '../migration/ram/guest-memory-compare.js';
import type { GuestMemoryCopy } from '../migration/ram/guest-memory-copy.js';
import type { RamRound } from '../migration/ram/ram-precopy.js';
import type { Vm } from '../vm/vm.js';

/**
 * The phases of a live migration, in order. `cleanup` (v2 only) is the source's `save_cleanup`
 * (STOP_COPY → STOP, data fd closed), after the destination runs: outside the downtime.
 */
export type MigrationPhaseName =
  | 'setup'
  | 'pre-copy'
  | 'stop'
  | 'stop-and-copy'
  | 'guest memory'
  | 'resume'
  | 'cleanup';

/** What one phase did and how long it took in virtual time. */
export interface MigrationPhase {
  readonly name: MigrationPhaseName;
  /** Virtual time at the start of the phase (µs). */
  readonly startUs: number;
  readonly durationUs: number;
  /** Device-state bytes the source put on the stream in this phase. */
  readonly deviceBytes: number;
  /** Guest RAM bytes sent in this phase. */
  readonly guestMemoryBytes: number;
}

/** The device's migration state read back after one client step. */
export interface DeviceStateStep {
  /** The client step (QEMU's function name). */
  readonly step: string;
  /**
   * v1: the `device_state` value read from the region; v2: the state from VFIO_DEVICE_FEATURE GET
   * MIG_DEVICE_STATE.
   */
  readonly state: number;
  /**
   * Its uAPI name: v1 `running`, `pre-copy`, `stop-and-copy`, `stop`, `resuming`; v2 the kernel's
   * `RUNNING`, `PRE_COPY`, `STOP_COPY`, `STOP`, `RESUMING`, …
   */
  readonly name: string;
}

/** How guest RAM moved. */
export interface RamMigrationReport {
  /** `precopy`: iterative pre-copy with dirty tracking; `stop-and-copy`: every touched page while stopped. */
  readonly mode: 'precopy' | 'stop-and-copy';
  /** The source host's IOMMU format (whose dirty bits tracked the VF's DMA). */
  readonly iommuFormat: IoPgtableFormatName;
  readonly downtimeLimitUs: number;
  readonly maxRounds: number;
  /** Pre-copy rounds, then the round while stopped (empty in stop-and-copy mode). */
  readonly rounds: readonly RamRound[];
  /** Whether pre-copy ended under the downtime limit (false in stop-and-copy mode). */
  readonly converged: boolean;
  /** Bytes sent while the VM ran. */
  readonly precopyBytes: number;
  /** Bytes sent while the VM was stopped. */
  readonly stoppedBytes: number;
  /** Source RAM (at the switch-over, source stopped) against destination RAM (not yet started). */
  readonly check: GuestMemoryComparison;
}

/** One device's part in a live migration: the host devices on both sides and what moved. */
export interface DeviceMigrationReport {
  /** The device model (e.g. `hisi-acc-vf`). */
  readonly model: string;
  /** The source host's device (PCI name). */
  readonly source: string;
  /** The destination host's device (PCI name). */
  readonly destination: string;
  readonly sourceStates: readonly DeviceStateStep[];
  readonly destinationStates: readonly DeviceStateStep[];
  /** Device-state bytes read from the source (v1 region / v2 data fd). */
  readonly deviceBytesSaved: number;
  /** Device-state bytes written to the destination (v1 region / v2 data fd). */
  readonly deviceBytesLoaded: number;
  /** Bytes of this device's vfio sections on the stream (device state plus QEMU's framing). */
  readonly streamBytes: number;
  /** `save_live_iterate` calls that sent a section for this device. */
  readonly precopyIterations: number;
}

/** What a live migration did, whichever device protocol moved the devices. */
export interface LiveMigrationReport {
  /** The VFIO migration protocol: the v1 region or the v2 state machine with data fds. */
  readonly protocol: 'v1' | 'v2';
  /** Each device of the VM, in the VM's order. */
  readonly devices: readonly DeviceMigrationReport[];
  readonly phases: readonly MigrationPhase[];
  /** Device-state bytes read from the sources, all devices together. */
  readonly deviceBytesSaved: number;
  /** Device-state bytes written to the destinations, all devices together. */
  readonly deviceBytesLoaded: number;
  /** Bytes of the vfio sections of the stream, all devices together. */
  readonly streamBytes: number;
  /** Guest RAM sent while the VM was stopped. */
  readonly guestMemory: GuestMemoryCopy;
  readonly ram: RamMigrationReport;
  /** Interrupts raised while the vCPUs were stopped, delivered on the destination. */
  readonly pendingIrqsMoved: number;
  /** Pre-copy iterations in which a device sent a section. */
  readonly precopyIterations: number;
  /** From the VM's stop on the source to its start on the destination (µs). */
  readonly downtimeUs: number;
  readonly totalUs: number;
}

/** The destination VM after a successful migration, and the protocol's report `R`. */
export interface LiveMigrationResult<R extends LiveMigrationReport = LiveMigrationReport> {
  /**
   * The VM running on the destination; each of its devices carries the guest's driver, resumed
   * (`vm.devices[i].guest`).
   */
  readonly destination: Vm;
  readonly report: R;
}
