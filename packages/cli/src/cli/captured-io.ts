import type { CliIo } from './exit-codes.js';

/** A {@link CliIo} that keeps what the program writes and the exit status it sets. */
export interface CapturedIo {
  readonly io: CliIo;
  /** Everything written so far, and the status (undefined until a command sets one). */
  readonly out: { stdout: string; stderr: string; exitCode: number | undefined };
}

/**
 * I/O for running the command line inside a program or a test:
 * `const { io, out } = captureCliIo(); await runCli(createProgram(io), argv, io, 'user');` — then
 * `out.stdout`, `out.stderr` and `out.exitCode` are what a process would have printed and exited with.
 */
export function captureCliIo(): CapturedIo {
  const out = { stdout: '', stderr: '', exitCode: undefined as number | undefined };
  return {
    out,
    io: {
      stdout: (t) => {
        out.stdout += t;
      },
      stderr: (t) => {
        out.stderr += t;
      },
      setExitCode: (c) => {
        out.exitCode = c;
      },
    },
  };
}
