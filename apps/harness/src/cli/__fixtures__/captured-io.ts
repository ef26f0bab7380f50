/** Test scaffolding: a CliIo that records what the program writes and the exit status it sets. */
import type { CliIo } from '../exit-codes.js';

export interface CapturedIo {
  readonly io: CliIo;
  readonly out: { stdout: string; stderr: string; exitCode: number | undefined };
}

export function capturedIo(): CapturedIo {
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
