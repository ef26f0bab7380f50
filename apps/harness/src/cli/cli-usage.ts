import { type Command, CommanderError } from '@commander-js/extra-typings';

/** The exit status of a usage error (a bad option, a missing argument, an invalid scenario file). */
export const EXIT_USAGE = 2;

/** The commands {@link usageErrorsExit2} configured (a test harness keeps their override). */
// biome-ignore lint/suspicious/noExplicitAny: any command
export const EXITS_2 = new WeakSet<Command<any, any, any>>();

/**
 * Make `command`'s usage errors exit with {@link EXIT_USAGE} instead of commander's 1: its error is
 * rethrown with that status (the entry point turns a CommanderError into the process's exit status,
 * without a stack trace). Help and version still exit 0.
 */
// biome-ignore lint/suspicious/noExplicitAny: any command, whatever its arguments and options
export function usageErrorsExit2<C extends Command<any, any, any>>(command: C): C {
  EXITS_2.add(command);
  command.exitOverride((err) => {
    throw err.exitCode === 0 ? err : new CommanderError(EXIT_USAGE, err.code, err.message);
  });
  return command;
}
