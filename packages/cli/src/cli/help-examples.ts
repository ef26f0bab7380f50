import type { CommandUnknownOpts } from '@commander-js/extra-typings';

/** One example of a command's use, as its `--help` shows it. */
export interface CommandExample {
  /** The arguments after `vfio-sim`, e.g. `demo --protocol v2`. */
  readonly args: string;
  /** What it does, in a few words. */
  readonly what: string;
}

/**
 * Append an `Examples:` section to `command`'s `--help`: one `$ vfio-sim <args>` line per example with
 * what it does. The CLI's test parses every one of them, so an example that stops being valid fails it.
 */
export function withExamples<C extends CommandUnknownOpts>(
  command: C,
  examples: readonly CommandExample[],
): C {
  const width = Math.max(...examples.map((e) => e.args.length));
  const lines = examples.map((e) => `  $ vfio-sim ${e.args.padEnd(width)}  # ${e.what}`);
  command.addHelpText('after', `\nExamples:\n${lines.join('\n')}\n`);
  return command;
}
