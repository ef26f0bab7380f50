import { EXITS_2 } from '../cli-usage.js';
import { createProgram } from '../program.js';
import type { InterruptibleIo } from '../report-serve.js';

/** What one in-process run of the CLI printed, its exit code, and commander's error if it threw one. */
export interface CliRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
  readonly error: unknown;
}

/**
 * Run `vfio-sim <argv>` in process with captured output; commander throws instead of exiting on a usage
 * error. `interrupted` stands in for Ctrl-C (the live view stops when it resolves); `onStderr` sees
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
  const program = createProgram(io);
  program.exitOverride();
  for (const c of program.commands) if (!EXITS_2.has(c)) c.exitOverride();
  let error: unknown;
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    error = e;
  }
  return { stdout, stderr, exitCode, error };
}
