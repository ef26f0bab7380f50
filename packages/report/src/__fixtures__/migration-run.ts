import { MemoryTraceSink } from '@vfio-sim/platform';
import {
  type FaultSpec,
  type MigrateReport,
  type MigrationProtocol,
  migrate,
  Simulation,
} from '@vfio-sim/vmm';
import type { ReportInput } from '../model/report-input.js';

/** Options of {@link migrationRun}. */
export interface MigrationRunOptions {
  readonly seed?: number;
  readonly protocol?: MigrationProtocol;
  readonly precopy?: boolean;
  readonly faults?: readonly FaultSpec[];
}

/** One traced migration of a guest running ZIP jobs (a small demo: two hosts, 12 jobs, a job stream). */
export function migrationRun(options: MigrationRunOptions = {}): {
  report: MigrateReport;
  sink: MemoryTraceSink;
} {
  const sink = new MemoryTraceSink();
  const sim = new Simulation({ seed: options.seed ?? 7, traceSink: sink });
  const source = sim.createHost({ name: 'source', numVfs: 2 });
  const destination = sim.createHost({ name: 'destination', numVfs: 2 });
  const guest = sim.createGuest({ host: source });
  guest.startWorkload({ jobs: 12, periodUs: 20, limit: 40 });
  sim.run(250);
  const report = migrate(guest, {
    to: destination,
    protocol: options.protocol ?? 'v1',
    precopy: options.precopy ?? true,
    faults: options.faults ?? [],
    jobsAfter: 3,
  });
  return { report, sink };
}

/** A report input as the demo makes one: the traced run and, untraced, the other RAM mode and protocol. */
export function reportInput(options: MigrationRunOptions = {}): ReportInput {
  const protocol = options.protocol ?? 'v1';
  const other: MigrationProtocol = protocol === 'v1' ? 'v2' : 'v1';
  const { report, sink } = migrationRun(options);
  return {
    title: `a ${protocol} live migration (seed ${options.seed ?? 7})`,
    description: ['two in-process hosts, a guest running ZIP jobs'],
    migration: report,
    trace: { events: sink.events, tracks: sink.namedTracks() },
    comparisons: [
      {
        label: `${protocol}, RAM copied whole while stopped`,
        report: migrationRun({ ...options, precopy: false }).report,
      },
      { label: `${other}, RAM pre-copy`, report: migrationRun({ ...options, protocol: other }).report },
    ],
    traceInfo: { tool: 'report test', seed: options.seed ?? 7 },
  };
}
