import { type MemoryTraceSink, toChromeTrace, validateChromeTrace } from '@vfio-sim/platform';
import { buildReportModel, type RunReportScenario, renderRunReportHtml } from '@vfio-sim/report';
import type { RunSummary, ScenarioMigration, ScenarioResult } from '@vfio-sim/scenario';

/** A migration seen while its scenario runs: the report, and where the scenario's trace stood at its end. */
interface SeenMigration {
  readonly migration: ScenarioMigration;
  readonly events: number;
}

/**
 * `vfio-sim run --report`: collects every migration the scenarios run (`runScenarios`'s `onMigration`)
 * and, as each scenario ends (`onResult`), builds one `@vfio-sim/report` model per migration from the
 * scenario's trace as it stood when that migration ended — then one page for the whole run
 * ({@link html}): a table of every migration, and per scenario its trace and each migration's charts.
 * Scenarios that ran no migration are counted, not drawn.
 */
export class RunReport {
  private readonly scenarios: RunReportScenario[] = [];
  private pending: SeenMigration[] = [];
  private sink: MemoryTraceSink | undefined;

  /** `runScenarios`'s `onMigration`. */
  readonly onMigration = (migration: ScenarioMigration, trace: MemoryTraceSink): void => {
    this.pending.push({ migration, events: trace.events.length });
    this.sink = trace;
  };

  /** `runScenarios`'s `onResult`: the scenario ended, its trace is whole. */
  readonly onResult = (result: ScenarioResult): void => {
    const sink = this.sink;
    const seen = this.pending;
    this.pending = [];
    this.sink = undefined;
    if (sink === undefined || seen.length === 0) return;
    const tracks = sink.namedTracks();
    const traceInfo = { tool: 'vfio-sim run', scenario: result.file, timeUnit: 'µs of virtual time' };
    const trace = toChromeTrace(sink.events, tracks, traceInfo);
    validateChromeTrace(trace);
    this.scenarios.push({
      heading: result.name,
      description: [
        result.failure === undefined
          ? `${result.file} — every expectation met`
          : `${result.file} — an expectation failed at line ${result.failure.line} (${result.failure.label})`,
      ],
      result: result.status === 'pass' ? 'PASS' : 'FAIL',
      migrations: seen.map(({ migration: m, events }) => {
        const { trace: _whole, ...model } = buildReportModel({
          title: `${m.scenario}: ${m.step.label}`,
          description: [`${m.file}:${m.step.line}`],
          migration: m.report,
          trace: { events: sink.events.slice(0, events), tracks },
          guest: m.guest,
          traceInfo,
        });
        return { heading: `line ${m.step.line}: ${m.step.label} (guest ${m.guest})`, model };
      }),
      trace,
    });
  };

  /** Migrations collected so far. */
  get migrations(): number {
    return this.scenarios.reduce((n, s) => n + s.migrations.length, 0);
  }

  /** The run's page. */
  html(summary: RunSummary, paths: readonly string[]): string {
    const n = summary.results.length;
    const drawn = this.scenarios.length;
    return renderRunReportHtml({
      title: `vfio-sim run: ${n} scenario${n === 1 ? '' : 's'}, ${this.migrations} migration${this.migrations === 1 ? '' : 's'}`,
      description: [
        `${paths.join(' ')} — ${summary.passed} passed, ${summary.failed} failed, ${summary.errors} invalid.`,
        drawn === 0
          ? 'No scenario ran a migration.'
          : `${drawn} of them ran migrations: each is drawn from its own model, built from its scenario's trace as it stood when the migration ended.`,
      ],
      scenarios: this.scenarios,
    });
  }
}
