import { closeSync, openSync, writeSync } from 'node:fs';

/**
 * Open (create or truncate) an output file before any work, so a bad path fails at once.
 * @returns the fd, or a one-line message for the user.
 */
export function openOutputFile(path: string, what: string): number | string {
  try {
    return openSync(path, 'w');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    return `error: cannot write the ${what} '${path}' (${code}): ${(e as Error).message}\n`;
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
