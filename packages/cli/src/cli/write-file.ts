import { closeSync, openSync, writeSync } from 'node:fs';
import { type CliIo, CliUsageError, PROCESS_IO } from './exit-codes.js';

/** The path that names standard output instead of a file (`--trace -`, `--report -`). */
export const STDOUT_PATH = '-';

/** An output a command writes once, at the end of its run: a file opened before the run, or stdout. */
export interface OutputFile {
  /** The path as given (`-` for stdout). */
  readonly path: string;
  /** What it holds, for messages (`trace file`, `report file`). */
  readonly what: string;
  /** The open file (null: standard output). */
  readonly fd: number | null;
}

/**
 * Open (create or truncate) an output file before any work, so a bad path fails at once; `-` is
 * standard output (nothing is opened).
 * @throws CliUsageError naming the file, its errno and the system's message (exit 2, nothing run).
 */
export function openOutputFile(path: string, what: string): OutputFile {
  if (path === STDOUT_PATH) return { path, what, fd: null };
  try {
    return { path, what, fd: openSync(path, 'w') };
  } catch (e) {
    throw new CliUsageError(`cannot write the ${what} '${path}' ${errnoWords(e)}`);
  }
}

/** Whether `out` is standard output. */
export function isStdout(out: OutputFile | undefined): boolean {
  return out?.fd === null;
}

/**
 * Say on stderr what went into the file `out`: `<what> written to <path> (<hint>)`. Nothing for stdout,
 * whose reader has the content itself (and a write error there ends the process, see `main`).
 */
export function noteWritten(io: CliIo, out: OutputFile, what: string, hint: string): void {
  if (out.fd !== null) io.stderr(`${what} written to ${out.path} (${hint})\n`);
}

/** The output files of one command line, opened before its run ({@link openOutputs}). */
export interface OpenOutputs<K extends string> {
  /** Each output asked for, by its key. */
  readonly files: Partial<Record<K, OutputFile>>;
  /** Where the command's own summary goes: stderr when an output took stdout, else stdout. */
  readonly summary: CliIo['stdout'];
  /** Close every file (the run will not get to write them). */
  closeAll(): void;
}

/**
 * Open the outputs a command line asks for (`{ trace: { path: opts.trace, what: 'trace file' }, … }`;
 * an undefined path is not asked for), in order, before any work. At most one may be standard output
 * (`-`), since stdout holds one thing; the command's summary then goes to stderr.
 * @throws CliUsageError for a file that cannot be opened or two outputs that are `-`; whatever was
 *   opened is closed again.
 */
export function openOutputs<K extends string>(
  io: CliIo,
  wanted: Readonly<Record<K, { readonly path: string | undefined; readonly what: string }>>,
): OpenOutputs<K> {
  const files: Partial<Record<K, OutputFile>> = {};
  const closeAll = () => {
    for (const f of Object.values<OutputFile | undefined>(files)) closeOutput(f);
  };
  try {
    for (const [key, { path, what }] of Object.entries(wanted) as [K, { path?: string; what: string }][])
      if (path !== undefined) files[key] = openOutputFile(path, what);
    const toStdout = Object.values<OutputFile | undefined>(files)
      .filter(isStdout)
      .map((o) => o?.what);
    if (toStdout.length > 1)
      throw new CliUsageError(`only one output can go to stdout ('-'): the ${toStdout.join(' and the ')}`);
    return { files, summary: toStdout.length === 1 ? io.stderr : io.stdout, closeAll };
  } catch (e) {
    closeAll();
    throw e;
  }
}

/**
 * Write `text` to `out` and close it: a file with `write(2)` until all of it is written, standard output
 * through `io` (whose stream errors — EPIPE, ENOSPC — end the process with one line, see `main`).
 * @throws CliUsageError when the file cannot take it (ENOSPC, EIO …: one line, exit 2); the file is
 *   closed either way.
 */
export function writeAndClose(out: OutputFile, text: string, io: CliIo = PROCESS_IO): void {
  if (out.fd === null) {
    io.stdout(text);
    return;
  }
  try {
    const bytes = Buffer.from(text);
    for (let done = 0; done < bytes.length; ) done += writeSync(out.fd, bytes, done);
  } catch (e) {
    throw new CliUsageError(`cannot write the ${out.what} '${out.path}' ${errnoWords(e)}`);
  } finally {
    closeSync(out.fd);
  }
}

/** Close `out` without writing (the run did not get that far); a no-op for stdout. */
export function closeOutput(out: OutputFile | undefined): void {
  if (out?.fd != null) closeSync(out.fd);
}

/** Why a write or an open failed, as the end of a one-line message: `(ENOSPC): no space left on device`. */
export function errnoWords(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code ?? 'error';
  const known = ERRNO_WORDS[code];
  const message = known ?? (e as Error).message ?? String(e);
  return `(${code}): ${message}`;
}

/** The errors an output meets most, in words (the rest keep the system's message). */
const ERRNO_WORDS: Readonly<Record<string, string>> = {
  EPIPE: 'the reading end of the pipe was closed',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EIO: 'input/output error',
};
