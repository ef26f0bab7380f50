import { Command, Option } from '@commander-js/extra-typings';
import { describe, expect, it } from 'vitest';
import { capturedIo } from './__fixtures__/captured-io.js';
import {
  type ActionVerdict,
  CliUsageError,
  cliAction,
  EXIT_FAIL,
  EXIT_INTERNAL,
  EXIT_PASS,
  EXIT_USAGE,
  runCli,
} from './exit-codes.js';

/** A program with one command `try` whose action does what `act` says. */
async function run(act: (opts: { seed: number }) => ActionVerdict, ...argv: string[]) {
  const { io, out } = capturedIo();
  const program = new Command()
    .name('vfio-sim')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  program
    .command('try')
    .option('--seed <n>', 'seed', (v) => Number(v), 1)
    .addOption(new Option('--mode <m>', 'mode').choices(['a', 'b'] as const).default('a' as const))
    .option('--json', 'json')
    .action(cliAction(io, (opts) => act(opts)));
  await runCli(program, argv, io, 'user');
  return { stdout: out.stdout, stderr: out.stderr, code: out.exitCode };
}

describe('exit codes', () => {
  it('0 for PASS, 1 for FAIL', async () => {
    expect((await run(() => 'PASS', 'try')).code).toBe(EXIT_PASS);
    expect((await run(() => 'FAIL', 'try')).code).toBe(EXIT_FAIL);
  });

  it("2 for a usage error, commander's or the action's: one line, no stack trace", async () => {
    const bad = await run(() => 'PASS', 'try', '--mode', 'c');
    expect(bad.code).toBe(EXIT_USAGE);
    expect(bad.stderr).toMatch(/^error: option '--mode <m>' argument 'c' is invalid[^\n]*\n$/);
    const own = await run(() => {
      throw new CliUsageError('the file cannot be written');
    }, 'try');
    expect(own).toMatchObject({ code: EXIT_USAGE, stderr: 'error: the file cannot be written\n' });
  });

  it('3 for an internal error, with the seed and a command line that replays the run', async () => {
    const r = await run(
      (opts) => {
        throw new TypeError(`model bug at seed ${opts.seed}`);
      },
      'try',
      '--seed',
      '42',
      '--json',
    );
    expect(r.code).toBe(EXIT_INTERNAL);
    expect(r.stderr).toMatch(/^vfio-sim: internal error .*TypeError: model bug at seed 42\n/);
    expect(r.stderr).toContain('\nseed: 42\n');
    // every option spelled out, defaults included, so the replay does not depend on them
    expect(r.stderr).toMatch(/\nreplay: vfio-sim try --seed 42 --mode a --json\n$/);
  });
});
