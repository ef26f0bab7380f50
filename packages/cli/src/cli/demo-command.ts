import { Command, Option } from '@commander-js/extra-typings';
import type { IoPgtableFormatName } from '@vfio-sim/iommufd';
import { MemoryTraceSink } from '@vfio-sim/platform';
import type { QmKind } from '@vfio-sim/qm-hw';
import {
  ACCEL_KINDS,
  DEFAULT_IOMMU_FORMAT,
  IOMMU_FORMATS,
  MIGRATION_PROTOCOLS,
  type MigrationProtocol,
} from '@vfio-sim/vmm';
import { formatDemoReport, runDemoRuns, summarizeDemo } from '../demo/demo.js';
import { demoTraceInfo } from '../demo/demo-report-input.js';
import { DEMO_GUEST_RAM, MAX_DEMO_JOBS } from '../demo/migration-demo.js';
import { formatQueryMigrate } from '../qmp/query-migrate.js';
import { type CliIo, CliUsageError, cliAction } from './exit-codes.js';
import { withExamples } from './help-examples.js';
import { numberOption } from './number-option.js';
import {
  checkServeOptions,
  hostOption,
  openReportServe,
  portOption,
  type ReportServe,
  reportOption,
  serveOption,
  speedOption,
} from './report-serve.js';
import { writeTraceFile } from './trace-file.js';
import { openOutputs } from './write-file.js';

/** What `vfio-sim demo` prints on its summary stream: the text summary, the JSON one, or QEMU's query-migrate. */
export const DEMO_FORMATS = ['text', 'json', 'qmp'] as const;

/** `--format` of `vfio-sim demo`. */
export type DemoFormat = (typeof DEMO_FORMATS)[number];

/**
 * `vfio-sim demo`: a v1 or v2 live migration of a guest running accelerator jobs between two simulated
 * hosts, the same seed again with the other RAM mode and the other protocol, and the summary — as text,
 * as JSON (`--format json` / `--json`, with `schemaVersion`: the package's
 * `schema/demo-report.schema.json`) or as QEMU's `query-migrate` reply (`--format qmp`). `--trace`,
 * `--report` (a file or `-` for stdout; the summary then goes to stderr) and `--serve` as documented in
 * the README.
 */
export function demoCommand(io: CliIo) {
  const command = new Command('demo')
    .description(
      'live-migrate a guest running ZIP, SEC or HPRE jobs between two in-process hosts (v1 region or v2 state machine, QEMU client, RAM pre-copy with IOMMU + CPU dirty tracking) and verify every job and guest RAM',
    )
    .addOption(
      new Option(
        '--protocol <version>',
        "VFIO migration protocol: v1 (region) or v2 (FSM + data fds, PRE_COPY; QEMU 9.1's pairing with iommufd)",
      )
        .choices(MIGRATION_PROTOCOLS as readonly MigrationProtocol[])
        .default('v1' as MigrationProtocol),
    )
    .addOption(
      new Option(
        '--kind <accelerator>',
        "both hosts' accelerator and the guest's jobs: zip (deflate), sec (AES-128-CBC / SHA-256 / HMAC-SHA-256) or hpre (modexp)",
      )
        .choices(ACCEL_KINDS as readonly QmKind[])
        .default('zip' as QmKind),
    )
    .option(
      '--seed <n>',
      'seed for every random choice (a decimal integer, 0..4294967295)',
      numberOption('a seed', { min: 0, max: 0xffff_ffff }),
      1,
    )
    .option(
      '--jobs <n>',
      `jobs submitted on the source before the migration (1..${MAX_DEMO_JOBS})`,
      numberOption('the job count', { min: 1, max: MAX_DEMO_JOBS }),
      24,
    )
    .addOption(
      new Option('--precopy <mode>', 'guest RAM: pre-copy rounds with dirty tracking, or whole while stopped')
        .choices(['on', 'off'] as const)
        .default('on' as const),
    )
    .addOption(
      new Option('--iommu <format>', "both hosts' IOMMU page-table format")
        .choices(IOMMU_FORMATS as readonly IoPgtableFormatName[])
        .default(DEFAULT_IOMMU_FORMAT),
    )
    .addOption(
      new Option(
        '--format <format>',
        "the summary: text (default), json (with schemaVersion; schema/demo-report.schema.json) or qmp (QEMU's query-migrate reply for the main run)",
      ).choices(DEMO_FORMATS),
    )
    .option('--json', 'the same as --format json')
    .option(
      '--trace <file.json>',
      'write a Chrome Trace Event / Perfetto JSON of the run (open it in ui.perfetto.dev); - for stdout (the summary then goes to stderr)',
    )
    .addOption(reportOption())
    .addOption(serveOption())
    .addOption(portOption())
    .addOption(hostOption())
    .addOption(speedOption())
    .action(
      cliAction(io, async (opts) => {
        const format = demoFormat(opts);
        checkServeOptions(opts);
        const outputs = openOutputs(io, {
          trace: { path: opts.trace, what: 'trace file' },
          report: { path: opts.report, what: 'report file' },
        });
        const { trace, report } = outputs.files;
        let look: ReportServe;
        try {
          look = await openReportServe(opts, io, report);
        } catch (e) {
          outputs.closeAll();
          throw e;
        }
        const sink = look.traceSink ?? (trace !== undefined ? new MemoryTraceSink() : undefined);
        const runs = runDemoRuns({
          seed: opts.seed,
          jobs: opts.jobs,
          precopy: opts.precopy === 'on',
          iommu: opts.iommu as IoPgtableFormatName,
          protocol: opts.protocol as MigrationProtocol,
          kind: opts.kind as QmKind,
          ...(sink !== undefined ? { traceSink: sink } : {}),
        });
        const summary = summarizeDemo(runs);
        outputs.summary(
          format === 'json'
            ? `${JSON.stringify(summary, null, 2)}\n`
            : format === 'qmp'
              ? formatQueryMigrate(runs.main.report, DEMO_GUEST_RAM)
              : formatDemoReport(summary),
        );
        if (trace !== undefined && sink !== undefined)
          writeTraceFile(io, trace, sink, demoTraceInfo(summary));
        await look.present(runs, summary);
        return summary.result;
      }),
    );
  return withExamples(command, [
    { args: 'demo', what: 'a v1 live migration, seed 1, 24 jobs' },
    { args: 'demo --protocol v2 --kind sec', what: 'v2 with a SEC VF' },
    { args: 'demo --precopy off --iommu amd-v1 --seed 7', what: 'RAM copied whole while stopped, AMD IOMMU' },
    { args: 'demo --format json --jobs 8', what: 'the summary as JSON (schema/demo-report.schema.json)' },
    { args: 'demo --format qmp --protocol v2', what: "QEMU's query-migrate reply of the migration" },
    { args: 'demo --trace run.json', what: 'and a Perfetto trace of the run' },
    { args: 'demo --trace - --jobs 4 > run.json', what: 'the trace on stdout, the summary on stderr' },
    { args: 'demo --report run.html', what: 'a self-contained HTML report with charts' },
    { args: 'demo --serve --port 0 --speed 5', what: 'a live view in the browser until Ctrl-C' },
  ]);
}

/** The summary's format from `--format` and `--json` (which must agree). */
function demoFormat(opts: { readonly format?: DemoFormat; readonly json?: true }): DemoFormat {
  if (opts.json === true && opts.format !== undefined && opts.format !== 'json')
    throw new CliUsageError(`--json and --format ${opts.format} disagree: give one of them`);
  return opts.json === true ? 'json' : (opts.format ?? 'text');
}
