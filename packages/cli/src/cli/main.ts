import { EXIT_USAGE, PROCESS_IO, runCli } from './exit-codes.js';
import { createProgram } from './program.js';
import { errnoWords } from './write-file.js';

/**
 * The `vfio-sim` process: parse `argv` (as `process.argv`), run the command with the process's streams,
 * and set `process.exitCode` (0 pass, 1 fail, 2 usage or output error, 3 internal error).
 *
 * Standard output may go away while the command writes (`vfio-sim demo --trace - | head -c 1`: EPIPE)
 * or fill up (`> /dev/full`: ENOSPC): the process then ends at once with one line on stderr — `error:
 * cannot write to stdout (EPIPE): the reading end of the pipe was closed` — and status 2, never a stack
 * trace. A stderr that fails the same way ends it silently with status 2 (there is nowhere to say it).
 */
export async function main(argv: readonly string[] = process.argv): Promise<void> {
  process.stdout.on('error', (e) => {
    process.stderr.write(`error: cannot write to stdout ${errnoWords(e)}\n`);
    process.exit(EXIT_USAGE);
  });
  process.stderr.on('error', () => process.exit(EXIT_USAGE));
  await runCli(createProgram(PROCESS_IO), argv, PROCESS_IO);
}
