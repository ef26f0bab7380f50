import type { IoPgtableFormatName } from '@vfio-sim/iommufd';
import { KernelError, Prng, Tracer, type TraceSink, VirtualClock } from '@vfio-sim/platform';
import type { GuestVfDriver, QmKind } from '@vfio-sim/qm-hw';
import { createAccelWorkload } from '../guest/accel-workload.js';
import { startJobStream } from '../guest/job-stream.js';
import { attachVf, probeGuestVfDriver } from '../guest/vf-passthrough.js';
import { Vm } from '../guest/vm.js';
import type { WorkloadTally } from '../guest/workload.js';
import { createHost } from '../host/host.js';
import { DEFAULT_IOMMU_FORMAT } from '../host/host-iommu.js';
import { LINK_10GBIT_BYTES_PER_US, MigrationLink } from '../migration/link.js';
import { liveMigrateV1 } from '../migration/live-migration-v1.js';
import { type LiveMigrationV2Report, liveMigrateV2 } from '../migration/live-migration-v2.js';
import type { LiveMigrationReport } from '../migration/migration-report.js';

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

/** The VFIO migration protocol a demo run uses. */
export type MigrationProtocol = 'v1' | 'v2';

/** The protocols, in the order the CLI lists them; v1 is the demo's default. */
export const MIGRATION_PROTOCOLS: readonly MigrationProtocol[] = ['v1', 'v2'];

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
  readonly migration: LiveMigrationReport;
  /** The v2 specifics of the migration (null for v1). */
  readonly v2: LiveMigrationV2Report | null;
  readonly jobs: WorkloadTally;
  /** Why the run failed; empty on PASS. */
  readonly failures: readonly string[];
  readonly pass: boolean;
}

/**
 * The demo scenario: two hosts with a ZIP, SEC or HPRE accelerator behind an IOMMU, VF 0 on each bound
 * to hisi-acc-vfio-pci, a guest on the source whose VF driver runs seeded jobs of that engine, a v1 or v2 live
 * migration started after a seeded number of jobs finished (so others are in flight) while the guest
 * keeps submitting jobs ({@link DEMO_STREAM_PERIOD_US}) until its vCPUs stop, guest RAM moved by
 * pre-copy with dirty tracking (or whole while stopped), the rest finishing on the destination,
 * {@link DESTINATION_JOBS} more jobs there, every job checked exactly once against node:zlib /
 * node:crypto / bigint arithmetic on the same inputs, and
 * guest RAM compared page by page at the switch-over.
 *
 * Everything runs in virtual time on one clock: same seed, same result.
 * @throws KernelError EINVAL for a job count out of range; whatever the migration throws.
 */
export function runMigrationDemo(options: MigrationDemoOptions): MigrationDemoResult {
  const { seed, jobs } = options;
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > MAX_DEMO_JOBS) {
    throw new KernelError('EINVAL', `jobs must be an integer in [1, ${MAX_DEMO_JOBS}], got ${jobs}`);
  }
  const prng = new Prng(seed);
  const clock = new VirtualClock();
  const iommu = options.iommu ?? DEFAULT_IOMMU_FORMAT;
  const protocol = options.protocol ?? 'v1';
  const kind = options.kind ?? 'zip';
  const sink = options.traceSink;
  const traced = (name: string) =>
    sink !== undefined ? { tracer: Tracer.create(clock, sink, name, 'qemu') } : {};
  const source = createHost({ name: 'source', clock, kind, numVfs: 2, iommu, ...traced('source') });
  const destination = createHost({
    name: 'destination',
    clock,
    kind,
    numVfs: 2,
    iommu,
    ...traced('destination'),
  });
  const vm = Vm.create({
    name: 'guest',
    clock,
    memorySize: DEMO_GUEST_RAM,
    ...(sink !== undefined ? { tracer: Tracer.create(clock, sink, 'guest', 'vCPUs') } : {}),
  });
  const vf = attachVf(vm, source);
  const driver = probeGuestVfDriver(vf);
  const workload = createAccelWorkload(kind, prng.nextU32());
  workload.watch(driver, 'source');

  workload.submit(driver, 'source', jobs);
  const completedBeforeMigration = prng.int(0, Math.floor(jobs / 2));
  while (workload.completed < completedBeforeMigration) {
    const next = clock.nextEventTime();
    if (next === undefined) break;
    clock.runUntil(next);
  }

  const link = new MigrationLink(clock, LINK_10GBIT_BYTES_PER_US);
  const stream = startJobStream({
    vm,
    driver,
    workload,
    side: 'source',
    periodUs: DEMO_STREAM_PERIOD_US,
    limit: DEMO_STREAM_JOBS,
  });
  let inFlightAtStop = 0;
  let resumed: GuestVfDriver | undefined;
  const migrationOptions = {
    source: vf,
    destination,
    link,
    precopy: options.precopy ?? true,
    beforeStop: () => {
      inFlightAtStop = workload.outstanding;
    },
    onGuestResumed: (d: GuestVfDriver) => {
      resumed = d;
      workload.watch(d, 'destination');
    },
  };
  const report: LiveMigrationReport =
    protocol === 'v2' ? liveMigrateV2(migrationOptions).report : liveMigrateV1(migrationOptions).report;
  clock.runUntilIdle();
  if (resumed !== undefined) workload.submit(resumed, 'destination', DESTINATION_JOBS);
  clock.runUntilIdle();

  const tally = workload.tally();
  const failures = judge(tally, report);
  return {
    seed,
    completedBeforeMigration,
    submittedDuringMigration: stream.submitted,
    inFlightAtStop,
    linkBytesPerUs: link.bytesPerUs,
    protocol,
    kind,
    engine: { name: workload.jobs.engine, reference: workload.jobs.reference },
    migration: report,
    v2: report.protocol === 'v2' ? (report as LiveMigrationV2Report) : null,
    jobs: tally,
    failures,
    pass: failures.length === 0,
  };
}

/** The PASS conditions, each failure in words. */
function judge(t: WorkloadTally, m: LiveMigrationReport): string[] {
  const failures: string[] = [];
  const ids = (xs: readonly number[]) => xs.join(', ');
  if (t.lost.length > 0) failures.push(`jobs never completed: ${ids(t.lost)}`);
  if (t.duplicated.length > 0) failures.push(`jobs completed twice: ${ids(t.duplicated)}`);
  if (t.corrupt.length > 0) failures.push(`jobs with a bad status or output: ${ids(t.corrupt)}`);
  if (t.unknown.length > 0) failures.push(`completions of unknown jobs: ${ids(t.unknown)}`);
  if (t.verified !== t.submitted) failures.push(`${t.verified} of ${t.submitted} jobs verified`);
  const ram = m.ram.check;
  if (ram.mismatchedPages.length > 0)
    failures.push(
      `guest RAM differs at the switch-over in ${ram.mismatchedPages.length} of ${ram.pagesCompared} pages (first pfn 0x${ram.mismatchedPages[0]?.toString(16)})`,
    );
  if (t.submittedOnDestination !== DESTINATION_JOBS)
    failures.push(`${t.submittedOnDestination} of ${DESTINATION_JOBS} jobs submitted on the destination`);
  if (m.deviceBytesLoaded !== m.deviceBytesSaved)
    failures.push(`device state: ${m.deviceBytesSaved} bytes saved, ${m.deviceBytesLoaded} loaded`);
  const last = (steps: LiveMigrationReport['sourceStates']) => steps[steps.length - 1]?.name.toLowerCase();
  if (last(m.sourceStates) !== 'stop') failures.push(`source device ended in ${last(m.sourceStates)}`);
  if (last(m.destinationStates) !== 'running')
    failures.push(`destination device ended in ${last(m.destinationStates)}`);
  return failures;
}
