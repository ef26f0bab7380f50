import { MemoryTraceSink, toChromeTrace } from '@vfio-sim/platform';
import {
  type FaultSpec,
  type MigrateReport,
  type MigrationProtocol,
  migrate,
  Simulation,
} from '@vfio-sim/vmm';
import { buildReportModel } from '../model/build-report-model.js';
import type { ReportInput } from '../model/report-input.js';
import type { RunReportInput } from '../render/run-report-page.js';

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

/**
 * A run page's input as `vfio-sim run --report` makes one: a scenario whose guest migrates there and
 * back in one simulation (two models from one trace, each built as its migration ended), and one whose
 * v2 migration aborts on a mailbox error at the stop.
 */
export function runReportInput(): RunReportInput {
  const sink = new MemoryTraceSink();
  const sim = new Simulation({ seed: 11, traceSink: sink });
  const a = sim.createHost({ name: 'a', numVfs: 2 });
  const b = sim.createHost({ name: 'b', numVfs: 2 });
  const guest = sim.createGuest({ name: 'g', host: a });
  guest.startWorkload({ jobs: 12, periodUs: 20, limit: 40 });
  sim.run(250);
  const snapshot = () => ({ events: sink.events.slice(), tracks: sink.namedTracks() });
  const there = migrate(guest, { to: b, protocol: 'v1', jobsAfter: 2 });
  const first = buildReportModel({ title: 'there', migration: there, trace: snapshot() });
  sim.run(50);
  const back = migrate(guest, { to: a, protocol: 'v2', jobsAfter: 2 });
  const second = buildReportModel({ title: 'back', migration: back, trace: snapshot() });
  const aborted = buildReportModel(
    reportInput({ protocol: 'v2', faults: [{ fault: { kind: 'mb-error' }, at: 'stop' }] }),
  );
  return {
    title: 'vfio-sim run: 2 scenarios, 3 migrations',
    description: ['a test run'],
    scenarios: [
      {
        heading: 'there and back',
        description: ['ping-pong.yaml'],
        result: 'PASS',
        migrations: [
          { heading: 'line 7: migrate to b (v1)', model: first },
          { heading: 'line 9: back to a (v2)', model: second },
        ],
        trace: toChromeTrace(sink.events, sink.namedTracks(), { tool: 'report test' }),
      },
      {
        heading: 'a mailbox error at the stop',
        description: ['mb-error.yaml'],
        result: 'PASS',
        migrations: [{ heading: 'line 12: mb-error at stop', model: aborted }],
        trace: aborted.trace,
      },
    ],
  };
}
