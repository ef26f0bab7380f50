import type { IoPgtableFormatName } from '@vfio-sim/iommufd';
import type { QmFaultKind, QmKind } from '@vfio-sim/qm-hw';
import type { MigrationPhaseName, MigrationProtocol } from '@vfio-sim/vmm';

/**
 * One hostile request a VMM makes on a device, in the scenario language's terms: each one either fails
 * with an errno (and must leave everything as it was, or in the documented ERROR state) or changes
 * nothing the guest relies on.
 *
 * - `v2-arc`: VFIO_DEVICE_FEATURE MIG_DEVICE_STATE SET to a state the FSM must refuse for the device
 *   (ERROR, a P2P state a device without P2P lacks, a number outside the enum) or to the current state;
 * - `v1-arc`: a v1 `device_state` write the region must refuse (RESUMING | RUNNING, SAVING | RESUMING |
 *   RUNNING, the error state, reserved bits) or RUNNING again;
 * - `feature`: VFIO_DEVICE_FEATURE with a raw `argsz` (GET, PROBE, or a SET too short to carry a payload);
 * - `region`: GET_REGION_INFO of an index the device lacks, a read of BAR2's migration half or of a
 *   region that does not exist, an mmap of BAR2's migration half;
 * - `data-fd`: a saving session (RUNNING → PRE_COPY, legal) misused — a write to the read-only stream,
 *   PRECOPY_INFO with a short argsz, a read — then RUNNING again;
 * - `stream`: on a VF no guest uses, a saved state (v2: STOP_COPY read to EOF; v1: the region's save)
 *   loaded back with bytes flipped and / or cut short; then the VF is reset and closed.
 */
export type HostileStep =
  | { readonly op: 'v2-arc'; readonly state: number }
  | { readonly op: 'v1-arc'; readonly state: number; readonly raw: boolean }
  | {
      readonly op: 'feature';
      readonly feature: number;
      readonly access: 'get' | 'probe' | 'set';
      readonly argsz: number;
    }
  | {
      readonly op: 'region';
      readonly access: 'info' | 'read' | 'mmap';
      readonly region: number;
      readonly offset: number;
    }
  | { readonly op: 'data-fd'; readonly misuse: readonly ('write' | 'precopy-info' | 'read')[] }
  | {
      readonly op: 'stream';
      readonly flips: readonly { readonly at: number; readonly xor: number }[];
      /** Bytes of the saved state written back (null: all of them). */
      readonly keep: number | null;
    };

/** At most one fault of a migration: a qm-hw fault on a VF or PF, or corruption on the link. */
export type CaseFault =
  | {
      readonly on: 'qm';
      readonly kind: QmFaultKind;
      readonly side: 'source' | 'destination';
      readonly target: 'vf' | 'pf';
      /** The guest's device index (one of its accelerator VFs). */
      readonly device: number;
      /** Armed as the phase begins, or this many µs after the migration started. */
      readonly at: MigrationPhaseName | { readonly us: number };
    }
  | {
      readonly on: 'link';
      readonly kind: 'flip' | 'cut';
      readonly section: number;
      readonly phase: 'setup' | 'pre-copy' | 'stop-and-copy' | undefined;
      /** flip: the byte XOR-ed; cut: the bytes that arrive. */
      readonly byte: number;
      readonly mask: number;
    };

/** What every case has: the hosts' accelerator and IOMMU, and the protocol its devices speak. */
export interface CaseBase {
  readonly accel: QmKind;
  readonly iommu: Exclude<IoPgtableFormatName, 'iommufd-mock'>;
  readonly protocol: MigrationProtocol;
}

/**
 * A full live-migration case: two hosts, a guest with its devices (accelerator VFs first, then mtty
 * devices), its workload and touched RAM, hostile requests before the migration, and the migration with
 * at most one fault.
 */
export interface MigrationCase extends CaseBase {
  readonly kind: 'migration';
  /** Accelerator VFs (hisi-acc-vfio-pci) passed through. */
  readonly hisiVfs: number;
  /** mtty devices passed through (v2 only: the sample has no v1 region). */
  readonly mttys: number;
  /** Guest RAM beyond what its drivers take (MiB), and the pages of it the guest writes. */
  readonly extraMiB: number;
  readonly touchedPages: number;
  /** Jobs (loop-back steps on an mtty) at once, then one every `periodUs` (0: none) up to `limit`. */
  readonly jobs: number;
  readonly periodUs: number;
  readonly limit: number;
  readonly workloadSeed: number;
  /** Virtual time the guest runs before the hostile requests and the migration. */
  readonly runUs: number;
  readonly precopy: boolean;
  readonly bytesPerUs: number;
  readonly fault: CaseFault | null;
  readonly hostile: readonly HostileStep[];
  /** Jobs each accelerator VF gets after the migration. */
  readonly jobsAfter: number;
}

/** A uAPI-only case: one host, one of its VFs opened by a VMM process, hostile requests on it. */
export interface UapiCase extends CaseBase {
  readonly kind: 'uapi';
  readonly steps: readonly HostileStep[];
}

/**
 * A case of a campaign: everything it does, as plain data — fully determined by the campaign seed and
 * the case index (`generateCase`), and small enough to shrink field by field.
 */
export type CampaignCase = MigrationCase | UapiCase;

/** Whether QEMU refuses this migration before touching anything: v2, several devices, not all with P2P. */
export function expectsMultipleDevicesBlocker(c: MigrationCase): boolean {
  return c.protocol === 'v2' && c.hisiVfs + c.mttys > 1 && c.hisiVfs > 0;
}

/** The guest's device models, in order: the accelerator VFs, then the mtty devices. */
export function caseDevices(c: MigrationCase): string[] {
  return [
    ...Array.from({ length: c.hisiVfs }, () => 'hisi-acc-vf'),
    ...Array.from({ length: c.mttys }, () => 'mtty'),
  ];
}
