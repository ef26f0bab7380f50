import type { IoPgtableFormatName } from '@vfio-sim/iommufd';
import { KernelError, type TraceSink } from '@vfio-sim/platform';
import type { QmKind } from '@vfio-sim/qm-hw';
import {
  DEFAULT_IOMMU_FORMAT,
  LINK_10GBIT_BYTES_PER_US,
  type LiveMigrationV1Report,
  type LiveMigrationV2Report,
  type MigrateReport,
  type MigrationProtocol,
  migrate,
  Simulation,
  type WorkloadTally,
} from '@vfio-sim/vmm';

/** Most jobs the demo submits before the migration: the guest driver's 32 job buffers. */
export const MAX_DEMO_JOBS = 32;
/** Jobs submitted on the destination after the migration, to show the device works there. */
export const DESTINATION_JOBS = 4;
/** The guest's RAM. */
export const DEMO_GUEST_RAM = 64 << 20;
/** While the migration runs the guest submits one more job every this many µs (while its vCPUs run). */
export const DEMO_STREAM_PERIOD_US = 20;
/** Most jobs the guest submits while the migration runs. */
export const DEMO_STREAM_JOBS = 64;

/** Options of {@link runMigrationDemo}. */
export interface MigrationDemoOptions {
  readonly seed: number;
  /**
   * `v1` (default): the v1 migration region and QEMU's v1 client; `v2`: the v2 state machine with
   * data fds, PRE_COPY and switchover-ack, and QEMU's v2 client (QEMU 9.1's pairing with iommufd).
   */
  readonly protocol?: MigrationProtocol;
  /**
   * Both hosts' accelerator and the guest's jobs (default `zip`): ZIP deflate, the SEC
   * AES-128-CBC / SHA-256 / HMAC-SHA-256 mix, or HPRE modular exponentiation.
   */
  readonly kind?: QmKind;
  /** Jobs submitted on the source before the migration (1..{@link MAX_DEMO_JOBS}). */
  readonly jobs: number;
  /** Guest RAM by iterative pre-copy with dirty tracking (default true), or copied whole while stopped. */
  readonly precopy?: boolean;
  /** Both hosts' IOMMU format (default {@link DEFAULT_IOMMU_FORMAT}). */
  readonly iommu?: IoPgtableFormatName;
  /**
   * Where the run's events go (both hosts trace on it: the QM devices, the PF drivers, the VMMs'
   * migration). Tracing only records: the run and its virtual times are the same without it.
   */
  readonly traceSink?: TraceSink;
}

/** The outcome of {@link runMigrationDemo}: everything the summary shows. */
export interface MigrationDemoResult {
  readonly seed: number;
  /** Jobs completed on the source before the migration started (seeded). */
  readonly completedBeforeMigration: number;
  /** Jobs the guest submitted while the migration ran (before the stop). */
  readonly submittedDuringMigration: number;
  /** Jobs not completed when the source VM stopped. */
  readonly inFlightAtStop: number;
  readonly linkBytesPerUs: number;
  readonly protocol: MigrationProtocol;
  readonly kind: QmKind;
  /** The engine the jobs ran on and what their outputs were checked against (for the summary). */
  readonly engine: { readonly name: string; readonly reference: string };
  readonly migration: LiveMigrationV1Report | LiveMigrationV2Report;
  /** vmm's whole report of the migration (faults, proof …), as `migrate()` returned it. */
  readonly report: MigrateReport;
  readonly jobs: WorkloadTally;
  /** Why the run failed; empty on PASS. */
  readonly failures: readonly string[];
  readonly pass: boolean;
}

/**
 * The demo scenario, on the VMM package's facade: two hosts with a ZIP, SEC or HPRE accelerator behind
 * an IOMMU, a guest on the source with VF 0 passed through, its VF driver running seeded jobs of that
 * engine, a v1 or v2 live migration started after a seeded number of jobs finished (so others are in
 * flight) while the guest keeps submitting jobs ({@link DEMO_STREAM_PERIOD_US}) until its vCPUs stop,
 * guest RAM moved by pre-copy with dirty tracking (or whole while stopped), the rest finishing on the
 * destination, {@link DESTINATION_JOBS} more jobs there, every job checked exactly once against
 * node:zlib / node:crypto / bigint arithmetic on the same inputs, and guest RAM compared page by page
 * at the switch-over.
 *
 * Everything runs in virtual time on one clock: same seed, same result.
 * @throws KernelError EINVAL for a job count out of range; the migration's error if it aborted (the
 *   demo arms no fault, so that is a bug of the model).
 */
export function runMigrationDemo(options: MigrationDemoOptions): MigrationDemoResult {
  const { seed, jobs } = options;
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > MAX_DEMO_JOBS) {
    throw new KernelError('EINVAL', `jobs must be an integer in [1, ${MAX_DEMO_JOBS}], got ${jobs}`);
  }
  const iommu = options.iommu ?? DEFAULT_IOMMU_FORMAT;
  const protocol = options.protocol ?? 'v1';
  const kind = options.kind ?? 'zip';
  const sim = new Simulation({
    seed,
    ...(options.traceSink !== undefined ? { traceSink: options.traceSink } : {}),
  });
  const source = sim.createHost({ name: 'source', kind, numVfs: 2, iommu });
  const destination = sim.createHost({ name: 'destination', kind, numVfs: 2, iommu });
  // 4 KiB IOMMU leaves (HUGE_PAGES = 0): DMA dirties are shown page by page (README, step 2)
  const guest = sim.createGuest({ host: source, memory: DEMO_GUEST_RAM, iommuHugePages: false });
  guest.startWorkload({ jobs, periodUs: 0 });
  const completedBeforeMigration = sim.prng.int(0, Math.floor(jobs / 2));
  while (guest.completed < completedBeforeMigration && sim.clock.nextEventTime() !== undefined)
    sim.clock.runUntil(sim.clock.nextEventTime() as number);
  guest.startJobStream({ periodUs: DEMO_STREAM_PERIOD_US, limit: DEMO_STREAM_JOBS });

  const report = migrate(guest, {
    to: destination,
    protocol,
    precopy: options.precopy ?? true,
    link: { bytesPerUs: LINK_10GBIT_BYTES_PER_US },
    jobsAfter: DESTINATION_JOBS,
  });
  const { migration, error } = report;
  if (migration === null)
    throw new KernelError(
      (error?.errno ?? 'EIO') as KernelError['errno'],
      `the demo's migration aborted in ${error?.phase}: ${error?.message}`,
    );
  const tally = report.proof.jobs;
  const failures = [...report.failures];
  if (tally.submittedOnDestination !== DESTINATION_JOBS)
    failures.push(`${tally.submittedOnDestination} of ${DESTINATION_JOBS} jobs submitted on the destination`);
  const workload = guest.workloads[0];
  return {
    seed,
    completedBeforeMigration,
    submittedDuringMigration: report.submittedDuringMigration,
    inFlightAtStop: report.inFlightAtStop ?? 0,
    linkBytesPerUs: LINK_10GBIT_BYTES_PER_US,
    protocol,
    kind,
    engine: { name: workload?.jobs.engine ?? '', reference: workload?.jobs.reference ?? '' },
    migration,
    report,
    jobs: tally,
    failures,
    pass: failures.length === 0,
  };
}
