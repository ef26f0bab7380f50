import { KernelError, Prng, VirtualClock } from '@vfio-sim/platform';
import type { GuestVfDriver } from '@vfio-sim/qm-hw';
import { attachVf, probeGuestVfDriver } from '../guest/vf-passthrough.js';
import { Vm } from '../guest/vm.js';
import { type WorkloadTally, ZipWorkload } from '../guest/zip-workload.js';
import { createHost } from '../host/host.js';
import { LINK_10GBIT_BYTES_PER_US, MigrationLink } from '../migration/link.js';
import { type LiveMigrationV1Report, liveMigrateV1 } from '../migration/live-migration-v1.js';

/** Most jobs the demo submits before the migration: the guest driver's 32 job buffers. */
export const MAX_DEMO_JOBS = 32;
/** Jobs submitted on the destination after the migration, to show the device works there. */
export const DESTINATION_JOBS = 4;
/** The guest's RAM. */
export const DEMO_GUEST_RAM = 64 << 20;

/** Options of {@link runMigrationDemo}. */
export interface MigrationDemoOptions {
  readonly seed: number;
  /** Jobs submitted on the source before the migration (1..{@link MAX_DEMO_JOBS}). */
  readonly jobs: number;
}

/** The outcome of {@link runMigrationDemo}: everything the summary shows. */
export interface MigrationDemoResult {
  readonly seed: number;
  /** Jobs completed on the source before the migration started (seeded). */
  readonly completedBeforeMigration: number;
  /** Jobs not completed when the source VM stopped. */
  readonly inFlightAtStop: number;
  readonly linkBytesPerUs: number;
  readonly migration: LiveMigrationV1Report;
  readonly jobs: WorkloadTally;
  /** Why the run failed; empty on PASS. */
  readonly failures: readonly string[];
  readonly pass: boolean;
}

/**
 * The demo scenario: two hosts with a ZIP accelerator, VF 0 on each bound to hisi-acc-vfio-pci, a
 * guest on the source whose VF driver runs seeded ZIP deflate jobs, a v1 live migration started after
 * a seeded number of jobs finished (so others are in flight), the rest finishing on the destination,
 * {@link DESTINATION_JOBS} more jobs there, and every job checked exactly once against node:zlib.
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
  const source = createHost({ name: 'source', clock, kind: 'zip', numVfs: 2 });
  const destination = createHost({ name: 'destination', clock, kind: 'zip', numVfs: 2 });
  const vm = Vm.create({ name: 'guest', clock, memorySize: DEMO_GUEST_RAM });
  const vf = attachVf(vm, source);
  const driver = probeGuestVfDriver(vf);
  const workload = new ZipWorkload({ seed: prng.nextU32() });
  workload.watch(driver, 'source');

  workload.submit(driver, 'source', jobs);
  const completedBeforeMigration = prng.int(0, Math.floor(jobs / 2));
  while (workload.completed < completedBeforeMigration) {
    const next = clock.nextEventTime();
    if (next === undefined) break;
    clock.runUntil(next);
  }

  const link = new MigrationLink(clock, LINK_10GBIT_BYTES_PER_US);
  let inFlightAtStop = 0;
  let resumed: GuestVfDriver | undefined;
  const { report } = liveMigrateV1({
    source: vf,
    destination,
    link,
    beforeStop: () => {
      inFlightAtStop = workload.outstanding;
    },
    onGuestResumed: (d) => {
      resumed = d;
      workload.watch(d, 'destination');
    },
  });
  clock.runUntilIdle();
  if (resumed !== undefined) workload.submit(resumed, 'destination', DESTINATION_JOBS);
  clock.runUntilIdle();

  const tally = workload.tally();
  const failures = judge(tally, report);
  return {
    seed,
    completedBeforeMigration,
    inFlightAtStop,
    linkBytesPerUs: link.bytesPerUs,
    migration: report,
    jobs: tally,
    failures,
    pass: failures.length === 0,
  };
}

/** The PASS conditions, each failure in words. */
function judge(t: WorkloadTally, m: LiveMigrationV1Report): string[] {
  const failures: string[] = [];
  const ids = (xs: readonly number[]) => xs.join(', ');
  if (t.lost.length > 0) failures.push(`jobs never completed: ${ids(t.lost)}`);
  if (t.duplicated.length > 0) failures.push(`jobs completed twice: ${ids(t.duplicated)}`);
  if (t.corrupt.length > 0) failures.push(`jobs with a bad status or output: ${ids(t.corrupt)}`);
  if (t.unknown.length > 0) failures.push(`completions of unknown jobs: ${ids(t.unknown)}`);
  if (t.verified !== t.submitted) failures.push(`${t.verified} of ${t.submitted} jobs verified`);
  if (t.submittedOnDestination !== DESTINATION_JOBS)
    failures.push(`${t.submittedOnDestination} of ${DESTINATION_JOBS} jobs submitted on the destination`);
  if (m.deviceBytesLoaded !== m.deviceBytesSaved)
    failures.push(`device state: ${m.deviceBytesSaved} bytes saved, ${m.deviceBytesLoaded} loaded`);
  const last = (steps: LiveMigrationV1Report['sourceStates']) => steps[steps.length - 1]?.name;
  if (last(m.sourceStates) !== 'stop') failures.push(`source device ended in ${last(m.sourceStates)}`);
  if (last(m.destinationStates) !== 'running')
    failures.push(`destination device ended in ${last(m.destinationStates)}`);
  return failures;
}
