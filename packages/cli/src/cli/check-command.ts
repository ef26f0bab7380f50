import { Command } from '@commander-js/extra-typings';
import { checkScenarios, formatScenarioError } from '@vfio-sim/scenario';
import { type CliIo, cliAction } from './exit-codes.js';
import { withExamples } from './help-examples.js';

/**
 * `vfio-sim check FILE...`: validate scenarios without running them (YAML, the published schema, every
 * reference a step makes). One `file:line:column: field: message` line per error on stderr, a count on
 * stdout; exit 0 when every file is valid, 2 otherwise.
 */
export function checkCommand(io: CliIo) {
  const command = new Command('check')
    .description(
      'validate scenario files without running them; print file:line:column: field: message per error',
    )
    .argument('<paths...>', 'scenario files (.yaml) or directories')
    .action(
      cliAction(io, (paths) => {
        const summary = checkScenarios(paths);
        for (const r of summary.results) for (const e of r.errors) io.stderr(`${formatScenarioError(e)}\n`);
        const n = summary.results.length;
        const steps = summary.results.reduce((s, r) => s + r.steps, 0);
        io.stdout(
          `${n} scenario file${n === 1 ? '' : 's'}: ${summary.passed} valid, ${summary.errors} invalid (${steps} steps)\n`,
        );
        return summary.exitCode === 0 ? 'PASS' : 'USAGE';
      }),
    );
  return withExamples(command, [
    { args: 'check scenarios/', what: 'every scenario under scenarios/, without running them' },
    { args: 'check my-scenario.yaml', what: 'one file: file:line:column: field: message per error' },
  ]);
}
