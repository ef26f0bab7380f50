import { Command } from '@commander-js/extra-typings';
import { MemoryTraceSink } from '@vfio-sim/platform';
import {
  formatJUnitReport,
  formatResult,
  formatSummaryLine,
  jsonReport,
  runScenarios,
} from '@vfio-sim/scenario';
import { RUN_REPORT_SCHEMA_VERSION } from '../json/run-report-schema.js';
import { type ActionVerdict, type CliIo, cliAction } from './exit-codes.js';
import { withExamples } from './help-examples.js';
import { RunReport } from './run-report.js';
import { writeTraceFile } from './trace-file.js';
import { noteWritten, openOutputs, writeAndClose } from './write-file.js';

/**
 * `vfio-sim run FILE|DIR... [--json] [--trace out.json] [--junit out.xml] [--report out.html]`: run scenarios (see
 * `@vfio-sim/scenario`) and print each one's result — for an unmet expectation the `file:line` of the step
 * with want and got, for an invalid file one `file:line:column: field: message` line per error. `--json`
 * prints the run with `schemaVersion` (the package's `schema/run-report.schema.json`); `--report` writes
 * one HTML page of every migration the scenarios ran (`RunReport`); any output may be
 * `-` (stdout: the results then go to stderr). Exit status: 0 every expectation met, 1 one failed, 2 a
 * usage error or an invalid scenario file.
 */
export function runCommand(io: CliIo) {
  const command = new Command('run')
    .description(
      'run scenario files (YAML: uAPI and VM steps with expectations) or directories of them; print the file:line, want and got of each unmet expectation',
    )
    .argument('<paths...>', 'scenario files (.yaml) or directories (searched for .yaml / .yml)')
    .option('--json', 'print the results as JSON (with schemaVersion; schema/run-report.schema.json)')
    .option(
      '--trace <file.json>',
      'write a Chrome Trace Event / Perfetto JSON of every scenario, one after another; - for stdout',
    )
    .option('--junit <file.xml>', 'write a JUnit XML report (one testcase per scenario); - for stdout')
    .option(
      '--report <file.html>',
      'write one self-contained HTML page of every migration the scenarios ran (the charts of each, every scenario’s trace); - for stdout',
    )
    .action(
      cliAction(io, (paths, opts) => {
        const outputs = openOutputs(io, {
          trace: { path: opts.trace, what: 'trace file' },
          junit: { path: opts.junit, what: 'JUnit report' },
          report: { path: opts.report, what: 'report file' },
        });
        const { trace, junit, report } = outputs.files;
        const out = outputs.summary;
        const sink = trace !== undefined ? new MemoryTraceSink() : undefined;
        const pages = report !== undefined ? new RunReport() : undefined;
        const summary = runScenarios(paths, {
          ...(sink !== undefined ? { traceSink: sink } : {}),
          ...(pages !== undefined ? { onMigration: pages.onMigration } : {}),
          onResult: (r) => {
            pages?.onResult(r);
            if (opts.json !== true) out(formatResult(r));
          },
        });
        out(
          opts.json === true
            ? `${JSON.stringify({ schemaVersion: RUN_REPORT_SCHEMA_VERSION, ...jsonReport(summary) }, null, 2)}\n`
            : formatSummaryLine(summary),
        );
        if (junit !== undefined) writeAndClose(junit, formatJUnitReport(summary), io);
        if (report !== undefined && pages !== undefined) {
          const html = pages.html(summary, paths);
          writeAndClose(report, html, io);
          noteWritten(
            io,
            report,
            `report: ${pages.migrations} migration(s), ${Math.ceil(Buffer.byteLength(html) / 1024)} KiB`,
            'open it in a browser',
          );
        }
        if (trace !== undefined && sink !== undefined)
          writeTraceFile(io, trace, sink, {
            tool: 'vfio-sim run',
            scenarios: summary.results.length,
            timeUnit: 'µs of virtual time',
          });
        return verdictOf(summary.exitCode);
      }),
    );
  return withExamples(command, [
    { args: 'run scenarios/', what: 'every scenario under scenarios/' },
    { args: 'run scenarios/vm/timed-fault.yaml --json', what: 'one scenario, the result as JSON' },
    { args: 'run scenarios/v2-arcs --junit results.xml', what: 'and a JUnit report for CI' },
    { args: 'run scenarios/vm --report vm.html', what: 'one HTML page of every migration they ran' },
    { args: 'run scenarios/vm --trace - > vm.json', what: 'a Perfetto trace on stdout, results on stderr' },
  ]);
}

/** A summary's exit status (0 all met, 1 an expectation failed, 2 an invalid file) as a verdict. */
export function verdictOf(exitCode: number): ActionVerdict {
  return exitCode === 0 ? 'PASS' : exitCode === 1 ? 'FAIL' : 'USAGE';
}
