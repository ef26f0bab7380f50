import { type Command, CommanderError } from '@commander-js/extra-typings';

/**
 * The exit status of every `vfio-sim` command:
 *
 * | code | meaning |
 * |---|---|
 * | 0 | PASS: the run did what was asked and every check held |
 * | 1 | FAIL: an expectation or a migration failed (the report says which) |
 * | 2 | usage error: a bad option or argument (commander's own errors included), a file that cannot be opened — one line on stderr, no stack trace, nothing run; or an output that could not be written while running (EPIPE, ENOSPC: one line) |
 * | 3 | internal error: the model threw where it must not; stderr names the seed and the command line that replays it |
 */
export const EXIT_PASS = 0;
/** FAIL: an expectation or a migration failed. */
export const EXIT_FAIL = 1;
/** A usage error (nothing run), or an output that could not be written (one line either way). */
export const EXIT_USAGE = 2;
/** An internal error: a bug of the model, with the seed and the command line that replays it. */
export const EXIT_INTERNAL = 3;

/**
 * What a command's action decides: the run passed, an expectation or a migration failed, or its input
 * was unusable and it printed why itself (e.g. one `file:line:column` line per error of a scenario file).
 */
export type ActionVerdict = 'PASS' | 'FAIL' | 'USAGE';

/** Where the program writes, and how it reports its exit status (a process, or a test). */
export interface CliIo {
  /** Write to standard output (the summary, or an output file given as `-`). */
  readonly stdout: (text: string) => void;
  /** Write to standard error (errors, `… written to` notes, the summary when stdout holds a file). */
  readonly stderr: (text: string) => void;
  /** Record the exit status (the program never exits the process itself). */
  readonly setExitCode: (code: number) => void;
}

/** The default I/O: the current process's streams and `process.exitCode`. */
export const PROCESS_IO: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  setExitCode: (code) => {
    process.exitCode = code;
  },
};

/**
 * A usage error an action finds itself (after commander parsed the options): printed as one
 * `error: …` line, exit {@link EXIT_USAGE}, nothing run.
 */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

/** The parts of a commander command {@link cliAction} reads to build the replay line. */
export interface ActionCommand {
  /** The command's name (`demo`). */
  name(): string;
  readonly options: readonly {
    readonly long?: string | undefined;
    /** The option's key in {@link ActionCommand.opts}. */
    attributeName(): string;
  }[];
  /** The parsed option values. */
  opts(): object;
  readonly parent: ActionCommand | null;
}

/**
 * Wrap a command's action so that it follows the exit-code policy: the verdict it returns sets 0, 1 or 2;
 * a {@link CliUsageError} prints one line and sets 2; anything else it throws is an internal error —
 * the message and stack, the seed (its `--seed` option, if it has one) and the full command line that
 * replays the run (every option spelled out, defaults included) go to stderr, and the status is 3.
 *
 * Use it for every command: `.action(cliAction(io, (opts) => { …; return report.result; }))`.
 */
export function cliAction<Args extends unknown[]>(
  io: CliIo,
  run: (...args: Args) => ActionVerdict | Promise<ActionVerdict>,
): (...args: Args) => Promise<void> {
  return async (...args: Args) => {
    // commander passes the command itself last
    const command = args[args.length - 1] as ActionCommand;
    try {
      const verdict = await run(...args);
      io.setExitCode(verdict === 'PASS' ? EXIT_PASS : verdict === 'FAIL' ? EXIT_FAIL : EXIT_USAGE);
    } catch (e) {
      if (e instanceof CliUsageError) {
        io.stderr(`error: ${e.message}\n`);
        io.setExitCode(EXIT_USAGE);
        return;
      }
      io.stderr(internalErrorText(e, command));
      io.setExitCode(EXIT_INTERNAL);
    }
  };
}

/** The internal-error report: what was thrown, the seed, and the command that replays the run. */
function internalErrorText(e: unknown, command: ActionCommand): string {
  const what = e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e);
  const opts = command.opts() as Record<string, unknown>;
  const lines = [`vfio-sim: internal error (a bug of the model, please report it): ${what}`];
  if (opts.seed !== undefined) lines.push(`seed: ${String(opts.seed)}`);
  lines.push(`replay: ${replayCommand(command)}`);
  return `${lines.join('\n')}\n`;
}

/** `vfio-sim <command> --option value …` with every option's parsed value, so the run repeats as it was. */
export function replayCommand(command: ActionCommand): string {
  const names: string[] = [];
  for (let c: ActionCommand | null = command; c?.parent != null; c = c.parent) names.unshift(c.name());
  const opts = command.opts() as Record<string, unknown>;
  const parts = ['vfio-sim', ...names];
  for (const option of command.options) {
    const value = opts[option.attributeName()];
    if (value === undefined || value === false || option.long === undefined) continue;
    if (value === true) parts.push(option.long);
    else
      for (const v of Array.isArray(value) ? value : [value]) parts.push(option.long, shellWord(String(v)));
  }
  return parts.join(' ');
}

/** A word as a POSIX shell reads it back: bare if safe, else single-quoted. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

/**
 * Parse `argv` with `program` and set the exit status of what went wrong before or around an action:
 * 0 for `--help` / `--version`, {@link EXIT_USAGE} for any error commander reports (it has printed its
 * one `error: …` line already; no stack trace), {@link EXIT_INTERNAL} for anything else thrown. An
 * action wrapped by {@link cliAction} sets its own status. Every command of the tree is switched to
 * throw instead of exiting the process.
 *
 * @param from `node` for `process.argv` (default), `user` for the arguments alone (tests).
 */
export async function runCli(
  program: Command,
  argv: readonly string[],
  io: CliIo,
  from: 'node' | 'user' = 'node',
): Promise<void> {
  overrideExits(program);
  try {
    await program.parseAsync([...argv], { from });
  } catch (e) {
    if (e instanceof CommanderError) {
      io.setExitCode(e.exitCode === 0 ? EXIT_PASS : EXIT_USAGE);
      return;
    }
    io.stderr(internalErrorText(e, program));
    io.setExitCode(EXIT_INTERNAL);
  }
}

/** `exitOverride()` on `command` and every subcommand: errors throw a CommanderError instead of exiting. */
function overrideExits(command: Command): void {
  command.exitOverride();
  for (const sub of command.commands) overrideExits(sub as Command);
}
