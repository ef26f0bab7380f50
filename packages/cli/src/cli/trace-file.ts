import { type MemoryTraceSink, toChromeTrace, validateChromeTrace } from '@vfio-sim/platform';
import type { CliIo } from './exit-codes.js';
import { noteWritten, type OutputFile, writeAndClose } from './write-file.js';

/**
 * `--trace`: the run's events as a Chrome Trace Event / Perfetto JSON (validated first), written to
 * `out` and noted on stderr (`trace: N events written to …`). `info` is the trace's `otherData`.
 */
export function writeTraceFile(
  io: CliIo,
  out: OutputFile,
  sink: MemoryTraceSink,
  info: Readonly<Record<string, string | number | boolean>>,
): void {
  const chrome = toChromeTrace(sink.events, sink.namedTracks(), info);
  validateChromeTrace(chrome);
  writeAndClose(out, JSON.stringify(chrome), io);
  noteWritten(io, out, `trace: ${chrome.traceEvents.length} events`, 'open it in https://ui.perfetto.dev');
}
