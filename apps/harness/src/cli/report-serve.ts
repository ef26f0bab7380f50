import { closeSync } from 'node:fs';
import { InvalidArgumentError, Option } from '@commander-js/extra-typings';
import { KernelError, MemoryTraceSink } from '@vfio-sim/platform';
import {
  buildReportModel,
  type LiveServer,
  parseSpeed,
  renderReportHtml,
  startLiveServer,
} from '@vfio-sim/report';
import type { DemoReport, DemoRuns } from '../demo/demo.js';
import { demoReportInput } from '../demo/demo-report-input.js';
import { type CliIo, CliUsageError } from './exit-codes.js';
import { openOutputFile, writeAndClose } from './write-file.js';

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

function parsePort(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65_535)
    throw new InvalidArgumentError('a port is an integer in [0, 65535] (0: any free port).');
  return n;
}

function parseSpeedOption(value: string): number {
  try {
    return parseSpeed(value);
  } catch (e) {
    throw new InvalidArgumentError(`${(e as Error).message.replace(/^EINVAL: /, '')}.`);
  }
}

/** `--report <file.html>`: the self-contained HTML report of the run. */
export const reportOption = () =>
  new Option(
    '--report <file.html>',
    'write a self-contained HTML report of the run (charts, timeline, jobs, the Perfetto trace; no network needed to read it)',
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
  ).argParser(parsePort);
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
  ).argParser(parseSpeedOption);

/** What `--report` / `--serve` do with a run once it is there. */
export interface ReportServe {
  /** The sink the main run must trace into (the report is drawn from its events), if either is asked for. */
  readonly traceSink: MemoryTraceSink | undefined;
  /** Write the report and/or publish the run to the live view and serve it until interrupted. */
  present(runs: DemoRuns, summary: DemoReport): Promise<void>;
}

/**
 * Before the run: open the report file (so a bad path fails at once) and start the live view (so a
 * port in use fails at once, and the page can be opened while the simulation runs).
 * @throws CliUsageError (exit 2, one line, nothing left open) for a report file that cannot be written, a
 *   port that cannot be served, or `--port` / `--host` / `--speed` without `--serve`.
 */
export async function openReportServe(opts: ReportServeOptions, io: InterruptibleIo): Promise<ReportServe> {
  if (opts.serve !== true && (opts.port !== undefined || opts.host !== undefined || opts.speed !== undefined))
    throw new CliUsageError('--port, --host and --speed go with --serve');
  const reportFd = opts.report !== undefined ? openOutputFile(opts.report, 'report file') : undefined;
  let server: LiveServer | undefined;
  if (opts.serve === true) {
    const host = opts.host ?? DEFAULT_SERVE_HOST;
    const port = opts.port ?? DEFAULT_SERVE_PORT;
    try {
      server = await startLiveServer({ title: 'vfio-sim demo', host, port, speed: opts.speed ?? 1 });
    } catch (e) {
      if (reportFd !== undefined) closeSync(reportFd);
      if (!(e instanceof KernelError)) throw e;
      const why = e.errno === 'EADDRINUSE' ? 'the port is in use' : e.message.replace(/^\w+: /, '');
      throw new CliUsageError(`cannot serve the live view on ${host}:${port}: ${why} (${e.errno})`);
    }
    io.stderr(`live view: ${server.url} (the run plays once it is computed; Ctrl-C stops the server)\n`);
  }
  const traceSink = reportFd !== undefined || server !== undefined ? new MemoryTraceSink() : undefined;
  return {
    traceSink,
    async present(runs, summary) {
      if (traceSink === undefined) return;
      const model = buildReportModel(demoReportInput(runs, summary, traceSink));
      if (reportFd !== undefined) {
        const html = renderReportHtml(model);
        writeAndClose(reportFd, html);
        io.stderr(
          `report: ${Math.ceil(Buffer.byteLength(html) / 1024)} KiB written to ${opts.report} (open it in a browser)\n`,
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
