import { closeSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from '@commander-js/extra-typings';
import type { IoPgtableFormatName } from '@vfio-sim/iommufd';
import { MemoryTraceSink, toChromeTrace, validateChromeTrace } from '@vfio-sim/platform';
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
import { MAX_DEMO_JOBS } from '../demo/migration-demo.js';
import { campaignCommand } from './campaign-command.js';
import { checkCommand } from './check-command.js';
import { type CliIo, cliAction, PROCESS_IO } from './exit-codes.js';
import {
  hostOption,
  openReportServe,
  portOption,
  reportOption,
  serveOption,
  speedOption,
} from './report-serve.js';
import { runCommand } from './run-command.js';
import { openOutputFile, writeAndClose } from './write-file.js';

export { type CliIo, PROCESS_IO } from './exit-codes.js';

function parseSeed(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0 || n > 0xffff_ffff)
    throw new InvalidArgumentError('a seed is an integer in [0, 2^32).');
  return n;
}

function parseJobs(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 1 || n > MAX_DEMO_JOBS)
    throw new InvalidArgumentError(`the job count is an integer in [1, ${MAX_DEMO_JOBS}].`);
  return n;
}

/**
 * The `vfio-sim` command line. Run it with `runCli(createProgram(), process.argv, PROCESS_IO)`
 * (exit-codes.ts: 0 pass, 1 fail, 2 usage error, 3 internal error), or in a test with captured I/O.
 * Every command's action goes through `cliAction`.
 */
export function createProgram(io: CliIo = PROCESS_IO): Command {
  const program = new Command()
    .name('vfio-sim')
    .description('A model of the Linux VFIO live-migration stack for HiSilicon accelerator VFs')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  program
    .command('demo')
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
    .option('--seed <n>', 'seed for every random choice', parseSeed, 1)
    .option(
      '--jobs <n>',
      `jobs submitted on the source before the migration (1..${MAX_DEMO_JOBS})`,
      parseJobs,
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
    .option('--json', 'print the summary as JSON')
    .option(
      '--trace <file.json>',
      'write a Chrome Trace Event / Perfetto JSON of the run (open it in ui.perfetto.dev); the summary is unchanged',
    )
    .addOption(reportOption())
    .addOption(serveOption())
    .addOption(portOption())
    .addOption(hostOption())
    .addOption(speedOption())
    .action(
      cliAction(io, async (opts) => {
        const traceFd = opts.trace !== undefined ? openOutputFile(opts.trace, 'trace file') : undefined;
        let look: Awaited<ReturnType<typeof openReportServe>>;
        try {
          look = await openReportServe(opts, io);
        } catch (e) {
          if (traceFd !== undefined) closeSync(traceFd);
          throw e;
        }
        const sink = look.traceSink ?? (traceFd !== undefined ? new MemoryTraceSink() : undefined);
        const runs = runDemoRuns({
          seed: opts.seed,
          jobs: opts.jobs,
          precopy: opts.precopy === 'on',
          iommu: opts.iommu as IoPgtableFormatName,
          protocol: opts.protocol as MigrationProtocol,
          kind: opts.kind as QmKind,
          ...(sink !== undefined ? { traceSink: sink } : {}),
        });
        const report = summarizeDemo(runs);
        io.stdout(opts.json === true ? `${JSON.stringify(report, null, 2)}\n` : formatDemoReport(report));
        if (traceFd !== undefined && sink !== undefined) {
          const trace = toChromeTrace(sink.events, sink.namedTracks(), demoTraceInfo(report));
          validateChromeTrace(trace);
          writeAndClose(traceFd, JSON.stringify(trace));
          io.stderr(
            `trace: ${trace.traceEvents.length} events written to ${opts.trace} (open it in https://ui.perfetto.dev)\n`,
          );
        }
        await look.present(runs, report);
        return report.result;
      }),
    );

  program.addCommand(runCommand(io));
  program.addCommand(checkCommand(io));
  program.addCommand(campaignCommand(io));

  return program as unknown as Command;
}
