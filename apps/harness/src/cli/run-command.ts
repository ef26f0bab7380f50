import { Command } from '@commander-js/extra-typings';
import { MemoryTraceSink, toChromeTrace, validateChromeTrace } from '@vfio-sim/platform';
import {
  formatJsonReport,
  formatJUnitReport,
  formatResult,
  formatSummaryLine,
  runScenarios,
} from '@vfio-sim/scenario';
import { type ActionVerdict, type CliIo, cliAction } from './exit-codes.js';
import { openOutputFile, writeAndClose } from './write-file.js';

/**
 * `vfio-sim run FILE|DIR... [--json] [--trace out.json] [--junit out.xml]`: run scenarios (see
 * `@vfio-sim/scenario`) and print each one's result — for an unmet expectation the `file:line` of the step
 * with want and got, for an invalid file one `file:line:column: field: message` line per error. Exit
 * status: 0 every expectation met, 1 one failed, 2 a usage error or an invalid scenario file.
 */
export function runCommand(io: CliIo) {
  return new Command('run')
    .description(
      'run scenario files (YAML: uAPI and VM steps with expectations) or directories of them; print the file:line, want and got of each unmet expectation',
    )
    .argument('<paths...>', 'scenario files (.yaml) or directories (searched for .yaml / .yml)')
    .option('--json', 'print the results as JSON')
    .option(
      '--trace <file.json>',
      'write a Chrome Trace Event / Perfetto JSON of every scenario, one after another',
    )
    .option('--junit <file.xml>', 'write a JUnit XML report (one testcase per scenario)')
    .action(
      cliAction(io, (paths, opts) => {
        const trace = opts.trace !== undefined ? openOutputFile(opts.trace, 'trace file') : undefined;
        const junit = opts.junit !== undefined ? openOutputFile(opts.junit, 'JUnit report') : undefined;
        const sink = trace !== undefined ? new MemoryTraceSink() : undefined;
        const summary = runScenarios(paths, {
          ...(sink !== undefined ? { traceSink: sink } : {}),
          ...(opts.json === true ? {} : { onResult: (r) => io.stdout(formatResult(r)) }),
        });
        io.stdout(opts.json === true ? formatJsonReport(summary) : formatSummaryLine(summary));
        if (junit !== undefined) writeAndClose(junit, formatJUnitReport(summary));
        if (trace !== undefined && sink !== undefined) {
          const chrome = toChromeTrace(sink.events, sink.namedTracks(), {
            tool: 'vfio-sim run',
            scenarios: summary.results.length,
            timeUnit: 'µs of virtual time',
          });
          validateChromeTrace(chrome);
          writeAndClose(trace, JSON.stringify(chrome));
          io.stderr(
            `trace: ${chrome.traceEvents.length} events written to ${opts.trace} (open it in https://ui.perfetto.dev)\n`,
          );
        }
        return verdictOf(summary.exitCode);
      }),
    );
}

/** A summary's exit status (0 all met, 1 an expectation failed, 2 an invalid file) as a verdict. */
export function verdictOf(exitCode: number): ActionVerdict {
  return exitCode === 0 ? 'PASS' : exitCode === 1 ? 'FAIL' : 'USAGE';
}
