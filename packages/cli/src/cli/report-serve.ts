import { Option } from '@commander-js/extra-typings';
import { KernelError, MemoryTraceSink } from '@vfio-sim/platform';
import {
  buildReportModel,
  type LiveServer,
  MAX_SPEED,
  MIN_SPEED,
  renderReportHtml,
  startLiveServer,
} from '@vfio-sim/report';
import type { DemoReport, DemoRuns } from '../demo/demo.js';
import { demoReportInput } from '../demo/demo-report-input.js';
import { type CliIo, CliUsageError } from './exit-codes.js';
import { numberOption } from './number-option.js';
import { noteWritten, type OutputFile, writeAndClose } from './write-file.js';

/** The live view's port when `--port` is not given. */
export const DEFAULT_SERVE_PORT = 8080;
/** The address the live view binds when `--host` is not given: this machine only. */
export const DEFAULT_SERVE_HOST = '127.0.0.1';

/** The `--report`, `--serve`, `--port`, `--host` and `--speed` options as the action receives them. */
export interface ReportServeOptions {
  readonly report?: string;
  readonly serve?: true;
  readonly port?: number;
  readonly host?: string;
  readonly speed?: number;
}

/** How a test stands in for Ctrl-C: the program's I/O may say when the live view is to stop. */
export interface InterruptibleIo extends CliIo {
  /** Resolves when the live view is to stop (default: the process's first SIGINT). */
  readonly interrupted?: () => Promise<void>;
}

/** `--report <file.html>`: the self-contained HTML report of the run. */
export const reportOption = () =>
  new Option(
    '--report <file.html>',
    'write a self-contained HTML report of the run (charts, timeline, jobs, the Perfetto trace; no network needed to read it); - for stdout (the summary then goes to stderr)',
  );
/** `--serve`: the live view. */
export const serveOption = () =>
  new Option(
    '--serve',
    `serve a live view of the run on http://${DEFAULT_SERVE_HOST}:${DEFAULT_SERVE_PORT}/ (paced, over Server-Sent Events) until Ctrl-C`,
  );
/** `--port <n>` of the live view. */
export const portOption = () =>
  new Option(
    '--port <n>',
    `the live view's port (default ${DEFAULT_SERVE_PORT}; 0: any free port)`,
  ).argParser(numberOption('a port', { min: 0, max: 65_535 }));
/** `--host <address>` of the live view. */
export const hostOption = () =>
  new Option(
    '--host <address>',
    `the address the live view binds (default ${DEFAULT_SERVE_HOST}: this machine only)`,
  );
/** `--speed <x>` of the live view. */
export const speedOption = () =>
  new Option(
    '--speed <x>',
    'the live view plays at x × 100 µs of virtual time per second (default 1; the page can change it)',
  ).argParser(numberOption('a speed', { min: MIN_SPEED, max: MAX_SPEED, integer: false }));

/** What `--report` / `--serve` do with a run once it is there. */
export interface ReportServe {
  /** The sink the main run must trace into (the report is drawn from its events), if either is asked for. */
  readonly traceSink: MemoryTraceSink | undefined;
  /** Write the report and/or publish the run to the live view and serve it until interrupted. */
  present(runs: DemoRuns, summary: DemoReport): Promise<void>;
}

/**
 * Before anything is opened: `--port`, `--host` and `--speed` only mean something with `--serve`.
 * @throws CliUsageError otherwise (exit 2, nothing run).
 */
export function checkServeOptions(opts: ReportServeOptions): void {
  if (opts.serve !== true && (opts.port !== undefined || opts.host !== undefined || opts.speed !== undefined))
    throw new CliUsageError('--port, --host and --speed go with --serve');
}

/**
 * Before the run, with the report's output already open (`report`, from `--report`): start the live
 * view (so a port in use fails at once, and the page can be opened while the simulation runs).
 * @throws CliUsageError (exit 2, one line) for a port that cannot be served; the caller closes `report`.
 */
export async function openReportServe(
  opts: ReportServeOptions,
  io: InterruptibleIo,
  report: OutputFile | undefined,
): Promise<ReportServe> {
  let server: LiveServer | undefined;
  if (opts.serve === true) {
    const host = opts.host ?? DEFAULT_SERVE_HOST;
    const port = opts.port ?? DEFAULT_SERVE_PORT;
    try {
      server = await startLiveServer({ title: 'vfio-sim demo', host, port, speed: opts.speed ?? 1 });
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
      const why = e.errno === 'EADDRINUSE' ? 'the port is in use' : e.message.replace(/^\w+: /, '');
      throw new CliUsageError(`cannot serve the live view on ${host}:${port}: ${why} (${e.errno})`);
    }
    io.stderr(`live view: ${server.url} (the run plays once it is computed; Ctrl-C stops the server)\n`);
  }
  const traceSink = report !== undefined || server !== undefined ? new MemoryTraceSink() : undefined;
  return {
    traceSink,
    async present(runs, summary) {
      if (traceSink === undefined) return;
      const model = buildReportModel(demoReportInput(runs, summary, traceSink));
      if (report !== undefined) {
        const html = renderReportHtml(model);
        writeAndClose(report, html, io);
        noteWritten(
          io,
          report,
          `report: ${Math.ceil(Buffer.byteLength(html) / 1024)} KiB`,
          'open it in a browser',
        );
      }
      if (server !== undefined) {
        server.publish(model);
        await (io.interrupted ?? firstSigint)();
        await server.close();
        io.stderr('live view stopped\n');
      }
    },
  };
}

/** The process's next SIGINT (Ctrl-C), handled: the process does not die of it. */
function firstSigint(): Promise<void> {
  return new Promise((resolve) => process.once('SIGINT', () => resolve()));
}
