import { runCli as runProgram } from '../exit-codes.js';
import { createProgram } from '../program.js';
import type { InterruptibleIo } from '../report-serve.js';

/** What one in-process run of the CLI printed, and the exit status it set. */
export interface CliRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

/**
 * Run `vfio-sim <argv>` in process, as the entry point does (exit-codes.ts: 0/1/2/3), with captured
 * output. `interrupted` stands in for Ctrl-C (the live view stops when it resolves); `onStderr` sees
 * each write as it happens (e.g. the live view's URL).
 */
export async function runCli(
  argv: readonly string[],
  options: { interrupted?: () => Promise<void>; onStderr?: (text: string) => void } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  let exitCode = 0;
  const io: InterruptibleIo = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
      options.onStderr?.(t);
    },
    setExitCode: (c) => {
      exitCode = c;
    },
    ...(options.interrupted !== undefined ? { interrupted: options.interrupted } : {}),
  };
  await runProgram(createProgram(io), argv, io, 'user');
  return { stdout, stderr, exitCode };
}
