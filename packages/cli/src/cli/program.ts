import { Command } from '@commander-js/extra-typings';
import { campaignCommand } from './campaign-command.js';
import { checkCommand } from './check-command.js';
import { demoCommand } from './demo-command.js';
import { type CliIo, PROCESS_IO } from './exit-codes.js';
import { withExamples } from './help-examples.js';
import { runCommand } from './run-command.js';
import { CLI_VERSION } from './version.js';

/**
 * The `vfio-sim` command line. Run it with `main(process.argv)` (main.ts), or
 * `runCli(createProgram(io), argv, io)` with captured I/O in a test (exit-codes.ts: 0 pass, 1 fail,
 * 2 usage error, 3 internal error). Each command lives in its own `*-command.ts` file beside this one
 * — a function `(io: CliIo) => Command` whose action goes through `cliAction` — and is added here with
 * one line.
 */
export function createProgram(io: CliIo = PROCESS_IO): Command {
  const program = new Command()
    .name('vfio-sim')
    .description('A model of the Linux VFIO live-migration stack for HiSilicon accelerator VFs')
    .version(CLI_VERSION, '-V, --version', 'print the version of @vfio-sim/cli')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  for (const command of [demoCommand(io), runCommand(io), checkCommand(io), campaignCommand(io)]) {
    // a command made on its own inherits nothing: it writes where the program writes
    command.copyInheritedSettings(program);
    program.addCommand(command);
  }

  withExamples(program, [
    { args: 'demo', what: 'live-migrate a guest between two simulated hosts' },
    { args: 'demo --help', what: 'every option of the demo' },
    { args: 'run scenarios/', what: 'run a directory of YAML scenarios' },
    { args: 'check scenarios/vm/timed-fault.yaml', what: 'validate a scenario without running it' },
  ]);
  return program as unknown as Command;
}
