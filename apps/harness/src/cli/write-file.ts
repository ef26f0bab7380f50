import { closeSync, openSync, writeSync } from 'node:fs';
import { CliUsageError } from './exit-codes.js';

/**
 * Open (create or truncate) an output file before any work, so a bad path fails at once.
 * @returns the fd.
 * @throws CliUsageError naming the file, its errno and the system's message (exit 2, nothing run).
 */
export function openOutputFile(path: string, what: string): number {
  try {
    return openSync(path, 'w');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new CliUsageError(`cannot write the ${what} '${path}' (${code}): ${(e as Error).message}`);
  }
}

/** Write `text` to the opened `fd` and close it. */
export function writeAndClose(fd: number, text: string): void {
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}
