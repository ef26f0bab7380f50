import type { CliIo } from '../program.js';

/** A CliIo that keeps what the program writes and the exit status it sets (for tests). */
export function capturedIo(): { io: CliIo; out: { stdout: string; stderr: string; exitCode: number } } {
  const out = { stdout: '', stderr: '', exitCode: 0 };
  const io: CliIo = {
    stdout: (t) => {
      out.stdout += t;
    },
    stderr: (t) => {
      out.stderr += t;
    },
    setExitCode: (c) => {
      out.exitCode = c;
    },
  };
  return { io, out };
}
