import type { ErrnoName } from '@vfio-sim/platform';
import type { QmFault } from '@vfio-sim/qm-hw';
import type { FaultSpec, LinkFault, MigrateVerdictKind, MigrationProtocol } from '@vfio-sim/vmm';
import type { SourcePosition } from '../validate/scenario-error.js';

/*
 * A scenario as the executor runs it: hosts, then steps in order, each with its arguments resolved
 * (names to numbers, defaults filled in, every reference checked) and the expectations it must meet, at
 * the file position of the step. Nothing here knows YAML; the executor needs nothing else.
 */

/** A device a uAPI step acts on: one `open` named, or the n-th device of a guest (as its QEMU holds it). */
export type DeviceRef =
  | { readonly kind: 'opened'; readonly name: string }
  | { readonly kind: 'guest'; readonly guest: string; readonly index: number };

/** A region: an index, or the v1 migration region (found at run time by its TYPE capability). */
export type RegionRef = number | 'migration';

/** A host to build (vmm's `Simulation.createHost`). */
export interface PlannedHost {
  readonly name: string;
  readonly kind: 'zip' | 'sec' | 'hpre';
  readonly vfs: number;
  readonly iommu: 'amd-v1' | 'vtd-ss' | 'arm-smmuv3-s1';
  readonly iommuDirtyTracking: boolean;
  readonly opsStyle: 'explicit' | 'fallback' | 'merged';
  /** RAM the host's scenario VMM process maps for IOAS_MAP. */
  readonly ram: number;
  /** The kernel's sample mtty devices on the host (vmm's `mttyDevices`), if any. */
  readonly mtty: { readonly type: 'mtty-1' | 'mtty-2'; readonly count: number } | undefined;
}

/** A byte change before a write: flip bits (`xor`) or replace (`value`). */
export interface Corruption {
  readonly at: number;
  readonly xor?: number;
  readonly value?: number;
}

/** What each action takes, after planning. */
export interface StepArgs {
  open: { host: string; vf: number; as: string; bind: boolean };
  close: { device: DeviceRef };
  'region-info': { device: DeviceRef; region: RegionRef; argsz: number | undefined };
  pread: { device: DeviceRef; region: RegionRef; offset: number; width: number };
  pwrite: { device: DeviceRef; region: RegionRef; offset: number; bytes: Uint8Array };
  mmap: { device: DeviceRef; region: RegionRef; offset: number; length: number; as: string };
  mmio: { mapping: string; offset: number; width: 1 | 2 | 4 | 8; write: number | undefined };
  reset: { device: DeviceRef };
  feature: { device: DeviceRef; flags: number; argsz: number | undefined; payload: Uint8Array };
  'set-state': { device: DeviceRef; state: number; fdAs: string | undefined };
  'get-state': { device: DeviceRef };
  'mig-data-size': { device: DeviceRef };
  'read-data': {
    device: DeviceRef;
    fd: string | undefined;
    count: number | 'eof';
    chunk: number;
    into: string;
  };
  'write-data': {
    device: DeviceRef;
    fd: string | undefined;
    /** A buffer name, or literal bytes. */
    from: string | Uint8Array;
    offset: number;
    count: number | undefined;
    chunk: number | undefined;
    corrupt: readonly Corruption[];
  };
  'close-data': { device: DeviceRef; fd: string | undefined };
  'precopy-info': { device: DeviceRef; fd: string | undefined; argsz: number | undefined };
  'v1-set-state': { device: DeviceRef; state: number; raw: boolean };
  'v1-save': { device: DeviceRef; into: string; once: boolean };
  'v1-load': { device: DeviceRef; from: string; count: number | undefined; corrupt: readonly Corruption[] };
  'dma-logging-start': {
    device: DeviceRef;
    ranges: readonly { iova: number; length: number }[];
    pageSize: number;
  };
  'dma-logging-stop': { device: DeviceRef };
  'dma-logging-report': { device: DeviceRef; iova: number; length: number; pageSize: number };
  'hw-info': { device: DeviceRef };
  'ioas-alloc': { host: string; as: string };
  'ioas-map': {
    ioas: string;
    iova: number | undefined;
    length: number;
    offset: number;
    readable: boolean;
    writeable: boolean;
  };
  'ioas-unmap': { ioas: string; iova: number; length: number };
  'hwpt-alloc': { device: DeviceRef; ioas: string; flags: number; as: string };
  attach: { device: DeviceRef; pt: string };
  detach: { device: DeviceRef };
  'set-dirty-tracking': { hwpt: string; enable: boolean };
  'get-dirty-bitmap': { hwpt: string; iova: number; length: number; pageSize: number; noClear: boolean };
  'dma-write': { device: DeviceRef; iova: number; bytes: Uint8Array };
  'inject-fault': { host: string; target: number | 'pf'; fault: QmFault };
  'clear-fault': { host: string; target: number | 'pf'; kind: QmFault['kind'] | undefined };
  boot: { guest: string; host: string; memory: number | undefined; devices: readonly string[] };
  workload: {
    guest: string;
    jobs: number | undefined;
    periodUs: number | undefined;
    limit: number | undefined;
    seed: number | undefined;
  };
  submit: { guest: string; jobs: number };
  run: { us: number | 'idle' };
  'stop-vcpus': { guest: string };
  'start-vcpus': { guest: string };
  migrate: {
    guest: string;
    to: string;
    protocol: MigrationProtocol;
    precopy: boolean | undefined;
    bytesPerUs: number | undefined;
    sectionCrc: boolean | undefined;
    linkFaults: readonly LinkFault[];
    ram: { downtimeLimitUs?: number; maxRounds?: number } | undefined;
    switchoverAck: boolean | undefined;
    maxPrecopyIterations: number | undefined;
    jobsAfter: number | undefined;
    faults: readonly FaultSpec[];
  };
  tally: { guest: string };
  'write-ram': { guest: string; pages: number; seed: number };
}

/** An action's name. */
export type Action = keyof StepArgs;

/** A v1 or v2 state expected: its number (v2) or masked value (v1). */
export type ExpectedStates = readonly number[];

/** The exactly-once tally expected (vmm's `WorkloadTally`); `verified: 'all'` = every job submitted. */
export interface ExpectedJobs {
  readonly submitted?: number;
  readonly verified?: number | 'all';
  readonly lost?: readonly number[] | number;
  readonly unattributed?: readonly number[] | number;
  /** How many jobs were lost with a cause, or by cause kind (every kind that occurred). */
  readonly losses?: number | Readonly<Record<string, readonly number[] | number>>;
  readonly duplicated?: readonly number[] | number;
  readonly corrupt?: readonly number[] | number;
  readonly unknown?: readonly number[] | number;
  readonly submittedOnDestination?: number;
  readonly completedOnSource?: number;
  readonly completedOnDestination?: number;
  readonly outstanding?: number;
}

/** What a step must do; only the fields given are checked (`errno` is always checked, default ok). */
export interface Expectation {
  readonly errno: 'ok' | ErrnoName;
  readonly message?: string;
  readonly state?: number;
  readonly v1State?: number;
  readonly dataFd?: 'opened' | 'none';
  readonly bytes?: number;
  readonly data?: Uint8Array;
  readonly value?: number;
  readonly size?: number;
  /** Region or migration flags, as a number. */
  readonly flags?: number;
  readonly initialBytes?: number;
  readonly dirtyBytes?: number;
  readonly stopCopyLength?: number;
  readonly payload?: Uint8Array;
  readonly iova?: number;
  readonly pageSize?: number;
  readonly dirtyTracking?: boolean;
  /** Set bits, ascending. */
  readonly bitmap?: readonly number[];
  readonly unchanged?: true;
  readonly result?: 'PASS' | 'FAIL';
  readonly outcome?: 'migrated' | 'aborted';
  /** Any one of these verdicts. */
  readonly verdict?: readonly MigrateVerdictKind[];
  readonly error?: 'none' | { readonly errno: string; readonly phase?: string; readonly message?: string };
  readonly guestOn?: string;
  readonly jobs?: ExpectedJobs;
  readonly ramIdentical?: boolean;
  readonly sourceStates?: readonly string[];
  readonly destinationStates?: readonly string[];
  readonly faultsInjected?: number;
}

/** An expectation's field name (what the executor is asked to observe). */
export type ExpectField = Exclude<keyof Expectation, 'errno' | 'message'>;

/** One step as the executor runs it. */
export interface PlannedStep<A extends Action = Action> extends SourcePosition {
  /** 0-based position in the file's `steps`. */
  readonly index: number;
  readonly action: A;
  /** `label:` or the action name, for reports. */
  readonly label: string;
  readonly args: StepArgs[A];
  readonly expect: Expectation;
  /**
   * The device whose migration state the after-step fields (`state`, `v1-state`) and the snapshot of
   * `unchanged` read (undefined for steps without one).
   */
  readonly subject: DeviceRef | undefined;
}

/** A scenario, planned. */
export interface Plan {
  readonly file: string;
  readonly name: string;
  readonly description: string | undefined;
  readonly seed: number;
  readonly hosts: readonly PlannedHost[];
  readonly steps: readonly PlannedStep[];
}
