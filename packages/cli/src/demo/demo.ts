import type { IoPgtableFormatName } from '@vfio-sim/iommufd';
import type { TraceSink } from '@vfio-sim/platform';
import type { QmKind } from '@vfio-sim/qm-hw';
import { walkedStates } from '@vfio-sim/report';
import {
  DEFAULT_IOMMU_FORMAT,
  type JobLoss,
  type LiveMigrationV2Report,
  type MigrationPhaseName,
  type MigrationProtocol,
  type RamMigrationReport,
} from '@vfio-sim/vmm';
import { type LayerStatus, layerStatus } from '../layers.js';

/** The version of {@link DemoReport}'s shape, carried as its `schemaVersion` (`vfio-sim demo --json`). */
export const DEMO_REPORT_SCHEMA_VERSION = 1;

import { DESTINATION_JOBS, type MigrationDemoResult, runMigrationDemo } from './migration-demo.js';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  readonly seed: number;
  /** Jobs submitted on the source before the migration. */
  readonly jobs: number;
  /** Guest RAM by pre-copy with dirty tracking (default true), or whole while stopped. */
  readonly precopy?: boolean;
  /** Both hosts' IOMMU format (default {@link DEFAULT_IOMMU_FORMAT}). */
  readonly iommu?: IoPgtableFormatName;
  /** The VFIO migration protocol (default `v1`). */
  readonly protocol?: MigrationProtocol;
  /** Both hosts' accelerator and the guest's jobs (default `zip`). */
  readonly kind?: QmKind;
  /** Trace the main run (not the comparison runs) into this sink; the report is the same without it. */
  readonly traceSink?: TraceSink;
}

/** How guest RAM moved, in the demo's summary. */
export type RamMode = RamMigrationReport['mode'];

/** The layers the demo runs on; the others are built but not part of it yet. */
const USED_BY_DEMO = new Set([
  '@vfio-sim/platform',
  '@vfio-sim/qm-hw',
  '@vfio-sim/iommufd',
  '@vfio-sim/vfio-core',
  '@vfio-sim/migration-v1',
  '@vfio-sim/migration-v2',
  '@vfio-sim/hisi-acc-vfio-pci',
  '@vfio-sim/vmm',
]);

/**
 * The demo's summary: what `vfio-sim demo` prints, and exactly what `--json` prints — its JSON Schema is
 * the package's `schema/demo-report.schema.json` ({@link DEMO_REPORT_SCHEMA_VERSION}).
 */
export interface DemoReport {
  /** The version of this shape; it changes when a field changes meaning or goes away. */
  readonly schemaVersion: typeof DEMO_REPORT_SCHEMA_VERSION;
  readonly seed: number;
  readonly result: 'PASS' | 'FAIL';
  /** Why the run failed (either run: the comparison run's failures are prefixed); empty on PASS. */
  readonly failures: readonly string[];
  /** Both hosts' IOMMU format. */
  readonly iommu: IoPgtableFormatName;
  /** The VFIO migration protocol of this run. */
  readonly protocol: MigrationProtocol;
  /** Both hosts' accelerator. */
  readonly kind: QmKind;
  /** What only a v2 migration has (null for v1). */
  readonly v2:
    | (Pick<
        LiveMigrationV2Report,
        'switchoverAck' | 'switchoverApprovedUs' | 'stopCopySize' | 'lastPending' | 'destinationStartPath'
      > & {
        /** Device data read in PRE_COPY (the match data) and at STOP_COPY (the rest of the state). */
        readonly precopyDeviceBytes: number;
        readonly stopCopyDeviceBytes: number;
      })
    | null;
  /** Guest RAM in this run: the migration's RAM report without the IOMMU format, mismatches counted. */
  readonly ram: Omit<RamMigrationReport, 'iommuFormat' | 'check'> & {
    /** Source against destination RAM at the switch-over. */
    readonly check: { readonly pagesCompared: number; readonly mismatchedPages: number };
  };
  /** The same seed migrated with the other RAM mode, for the downtime comparison. */
  readonly comparison: {
    readonly mode: RamMode;
    readonly result: 'PASS' | 'FAIL';
    readonly downtimeUs: number;
    readonly totalUs: number;
    readonly stoppedBytes: number;
  };
  /** Downtime with pre-copy divided by downtime copying RAM whole while stopped (2 decimals). */
  readonly downtimeRatio: number;
  /** The same seed and RAM mode migrated with the other protocol. */
  readonly otherProtocol: {
    readonly protocol: MigrationProtocol;
    readonly result: 'PASS' | 'FAIL';
    readonly downtimeUs: number;
    readonly totalUs: number;
  };
  /**
   * The device's state after each step of QEMU's client (v1: `device_state` from the region; v2: GET
   * MIG_DEVICE_STATE), repeats collapsed.
   */
  readonly states: { readonly source: readonly string[]; readonly destination: readonly string[] };
  readonly bytes: {
    /** Device state read from the source region and written to the destination region. */
    readonly deviceState: { readonly saved: number; readonly loaded: number; readonly stream: number };
    readonly guestMemory: { readonly pages: number; readonly bytes: number };
  };
  /** Virtual time (µs). */
  readonly virtualTimeUs: {
    readonly phases: readonly {
      readonly name: MigrationPhaseName;
      readonly us: number;
      /** Device-state bytes saved in the phase. */
      readonly deviceBytes: number;
      /** Guest-memory bytes sent in the phase. */
      readonly guestMemoryBytes: number;
    }[];
    readonly downtime: number;
    readonly total: number;
  };
  readonly linkBytesPerUs: number;
  readonly precopyIterations: number;
  readonly pendingIrqsMoved: number;
  readonly jobs: {
    readonly submitted: number;
    readonly submittedOnSource: number;
    readonly submittedOnDestination: number;
    readonly completedBeforeMigration: number;
    /** Submitted by the guest while the migration ran (before the stop). */
    readonly submittedDuringMigration: number;
    readonly inFlightAtStop: number;
    readonly completedOnSource: number;
    readonly completedOnDestination: number;
    readonly verified: number;
    /** Jobs that never completed with their output (attributed or not). */
    readonly lost: number;
    /** Each lost job with its cause (a hardware error, a device reset, a state loaded as "not started"). */
    readonly losses: readonly JobLoss[];
    /** Lost jobs with no cause: silent — a run with any is FAIL. */
    readonly unattributed: readonly number[];
    /** The engine the jobs ran on (e.g. `ZIP deflate`). */
    readonly engine: string;
    /** What each output was checked against, run directly on the same inputs. */
    readonly reference: string;
  };
  readonly layers: readonly (LayerStatus & { readonly usedByDemo: boolean })[];
}

/** The demo's three runs of the same seed: the main one, the other RAM mode, the other protocol. */
export interface DemoRuns {
  readonly main: MigrationDemoResult;
  /** The same seed with the other RAM mode (for the downtime against copying RAM whole). */
  readonly otherRamMode: MigrationDemoResult;
  /** The same seed and RAM mode with the other protocol. */
  readonly otherProtocol: MigrationDemoResult;
  readonly iommu: IoPgtableFormatName;
  readonly precopy: boolean;
}

/**
 * Run the demo (a v1 or v2 live migration of a guest running ZIP, SEC or HPRE jobs, RAM by pre-copy or whole), run
 * the same seed again with the other RAM mode and with the other protocol for the downtime
 * comparisons, and summarise. Every run must pass.
 */
export function runDemo(options: DemoOptions): DemoReport {
  return summarizeDemo(runDemoRuns(options));
}

/** The demo's three runs (only the main one traced, into `options.traceSink`), not yet summarised. */
export function runDemoRuns(options: DemoOptions): DemoRuns {
  const precopy = options.precopy ?? true;
  const iommu = options.iommu ?? DEFAULT_IOMMU_FORMAT;
  const protocol = options.protocol ?? 'v1';
  const kind = options.kind ?? 'zip';
  const base = { seed: options.seed, jobs: options.jobs, iommu, kind };
  return {
    main: runMigrationDemo({
      ...base,
      precopy,
      protocol,
      ...(options.traceSink !== undefined ? { traceSink: options.traceSink } : {}),
    }),
    otherRamMode: runMigrationDemo({ ...base, precopy: !precopy, protocol }),
    otherProtocol: runMigrationDemo({ ...base, precopy, protocol: protocol === 'v1' ? 'v2' : 'v1' }),
    iommu,
    precopy,
  };
}

/** The demo's summary of its three runs: what `vfio-sim demo` prints, and `--json`. */
export function summarizeDemo(runs: DemoRuns): DemoReport {
  const { main: r, otherRamMode: other, otherProtocol: cross, iommu, precopy } = runs;
  const { protocol, kind } = r;
  const otherProtocol = cross.protocol;
  const m = r.migration;
  const t = r.jobs;
  const pre = precopy ? r : other;
  const whole = precopy ? other : r;
  const modeOf = (x: MigrationDemoResult): RamMode => x.migration.ram.mode;
  const failures = [
    ...r.failures,
    ...other.failures.map((f) => `(comparison run, ${modeOf(other)}) ${f}`),
    ...cross.failures.map((f) => `(comparison run, ${otherProtocol}) ${f}`),
  ];
  const v2 = m.protocol === 'v2' ? m : null;
  const phaseBytes = (name: MigrationPhaseName) => m.phases.find((p) => p.name === name)?.deviceBytes ?? 0;
  return {
    schemaVersion: DEMO_REPORT_SCHEMA_VERSION,
    seed: r.seed,
    result: failures.length === 0 ? 'PASS' : 'FAIL',
    failures,
    iommu,
    protocol,
    kind,
    v2:
      v2 === null
        ? null
        : {
            switchoverAck: v2.switchoverAck,
            switchoverApprovedUs: v2.switchoverApprovedUs,
            stopCopySize: v2.stopCopySize,
            precopyDeviceBytes: phaseBytes('pre-copy'),
            stopCopyDeviceBytes: phaseBytes('stop-and-copy'),
            lastPending: v2.lastPending,
            destinationStartPath: v2.destinationStartPath,
          },
    ram: {
      mode: m.ram.mode,
      downtimeLimitUs: m.ram.downtimeLimitUs,
      maxRounds: m.ram.maxRounds,
      rounds: m.ram.rounds,
      converged: m.ram.converged,
      precopyBytes: m.ram.precopyBytes,
      stoppedBytes: m.ram.stoppedBytes,
      check: {
        pagesCompared: m.ram.check.pagesCompared,
        mismatchedPages: m.ram.check.mismatchedPages.length,
      },
    },
    comparison: {
      mode: modeOf(other),
      result: other.pass ? 'PASS' : 'FAIL',
      downtimeUs: other.migration.downtimeUs,
      totalUs: other.migration.totalUs,
      stoppedBytes: other.migration.ram.stoppedBytes,
    },
    downtimeRatio: Math.round((pre.migration.downtimeUs / whole.migration.downtimeUs) * 100) / 100,
    otherProtocol: {
      protocol: otherProtocol,
      result: cross.pass ? 'PASS' : 'FAIL',
      downtimeUs: cross.migration.downtimeUs,
      totalUs: cross.migration.totalUs,
    },
    states: {
      source: walkedStates(m.devices[0]?.sourceStates ?? []),
      destination: walkedStates(m.devices[0]?.destinationStates ?? []),
    },
    bytes: {
      deviceState: { saved: m.deviceBytesSaved, loaded: m.deviceBytesLoaded, stream: m.streamBytes },
      guestMemory: { pages: m.guestMemory.pages, bytes: m.guestMemory.bytes },
    },
    virtualTimeUs: {
      phases: m.phases.map((p) => ({
        name: p.name,
        us: p.durationUs,
        deviceBytes: p.deviceBytes,
        guestMemoryBytes: p.guestMemoryBytes,
      })),
      downtime: m.downtimeUs,
      total: m.totalUs,
    },
    linkBytesPerUs: r.linkBytesPerUs,
    precopyIterations: m.precopyIterations,
    pendingIrqsMoved: m.pendingIrqsMoved,
    jobs: {
      submitted: t.submitted,
      submittedOnSource: t.submittedOnSource,
      submittedOnDestination: t.submittedOnDestination,
      completedBeforeMigration: r.completedBeforeMigration,
      submittedDuringMigration: r.submittedDuringMigration,
      inFlightAtStop: r.inFlightAtStop,
      completedOnSource: t.completedOnSource,
      completedOnDestination: t.completedOnDestination,
      verified: t.verified,
      lost: t.losses.length + t.unattributed.length,
      losses: t.losses,
      unattributed: t.unattributed,
      engine: r.engine.name,
      reference: r.engine.reference,
    },
    layers: layerStatus().map((l) => ({ ...l, usedByDemo: USED_BY_DEMO.has(l.name) })),
  };
}

/** The demo's title line: seed, protocol and accelerator. */
export function demoTitle(r: DemoReport): string {
  return `vfio-sim demo (seed ${r.seed}): ${r.protocol} live migration of a guest using a HiSilicon ${r.kind.toUpperCase()} VF`;
}

/**
 * The lost jobs, grouped by cause: `lost  N` and one line per cause (its jobs, what happened, the
 * upstream code that loses them the same way), then the jobs lost with no cause.
 */
function lossLines(j: DemoReport['jobs']): string[] {
  const lines = [
    `  lost                   ${j.lost}${j.lost === 0 ? '' : ' (every one below, with its cause or none)'}`,
  ];
  const byCause = new Map<string, JobLoss[]>();
  for (const l of j.losses) {
    const key = `${l.cause.kind}\u0000${l.cause.detail}`;
    byCause.set(key, [...(byCause.get(key) ?? []), l]);
  }
  for (const group of byCause.values()) {
    const c = (group[0] as JobLoss).cause;
    lines.push(
      `    jobs ${group.map((l) => l.jobId).join(', ')}: ${c.kind}${c.errno !== null ? ` (${c.errno})` : ' (never told: they hang)'} — ${c.detail}`,
      `      as upstream: ${c.upstream}`,
    );
  }
  if (j.unattributed.length > 0) lines.push(`    jobs ${j.unattributed.join(', ')}: lost silently, no cause`);
  return lines;
}

/** The demo report as text for a terminal. */
export function formatDemoReport(r: DemoReport): string {
  const b = r.bytes;
  const j = r.jobs;
  const time = r.virtualTimeUs;
  const ram = r.ram;
  const gbit = (r.linkBytesPerUs * 8) / 1000;
  const short = (name: string) => name.replace('@vfio-sim/', '');
  const used = r.layers.filter((l) => l.usedByDemo && l.built).map((l) => short(l.name));
  const builtOnly = r.layers.filter((l) => !l.usedByDemo && l.built).map((l) => short(l.name));
  const notBuilt = r.layers.filter((l) => !l.built).map((l) => short(l.name));
  const n = (v: number, w: number) => String(v).padStart(w);
  const precopy = ram.mode === 'precopy';
  const v2 = r.v2;
  const lines = [
    demoTitle(r),
    `  two in-process hosts, VF 0 on each bound to hisi-acc-vfio-pci; QEMU's ${r.protocol} client drives both`,
    ...(v2 !== null
      ? [
          '  (v2: state machine through VFIO_DEVICE_FEATURE, data fds, PRE_COPY' +
            `${v2.switchoverAck ? ' with switchover-ack' : ''}; QEMU 9.1's pairing with iommufd dirty tracking)`,
        ]
      : []),
    `  VF DMA through each host's IOMMU (${r.iommu}, iommufd: IOAS at IOVA = GPA, dirty-tracking HWPT)`,
    `  link ${gbit} Gbit/s, no latency; virtual time only`,
    '',
    v2 !== null
      ? 'Device states walked (VFIO_DEVICE_FEATURE GET MIG_DEVICE_STATE after every client step)'
      : 'Device states walked (device_state read after every client step)',
    `  source       ${r.states.source.join(' → ')}`,
    `  destination  ${r.states.destination.join(' → ')}`,
    ...(v2 !== null
      ? [
          `               vm_start: the kernel walks ${v2.destinationStartPath.join(' → ')} (STOP checks and loads the state)`,
        ]
      : []),
    '',
    'Bytes moved',
    `  device state  ${b.deviceState.saved} B saved, ${b.deviceState.loaded} B loaded ` +
      `(${b.deviceState.stream} B of stream with QEMU's framing; ${r.precopyIterations} pre-copy iteration(s))`,
    ...(v2 !== null
      ? [
          `                ${v2.precopyDeviceBytes} B in PRE_COPY (match data), ${v2.stopCopyDeviceBytes} B at STOP_COPY; ` +
            `MIG_DATA_SIZE ${v2.stopCopySize} B` +
            (v2.switchoverApprovedUs !== null
              ? `; switch-over approved by the destination at ${v2.switchoverApprovedUs} µs`
              : ''),
        ]
      : []),
    precopy
      ? `  guest RAM     ${ram.precopyBytes} B while running, ${ram.stoppedBytes} B (${b.guestMemory.pages} pages) while stopped`
      : `  guest RAM     ${ram.stoppedBytes} B (${b.guestMemory.pages} pages of 4 KiB), copied whole while stopped`,
    `                ${r.pendingIrqsMoved} queued interrupt(s) with the vCPUs`,
    '',
  ];
  if (precopy) {
    lines.push(
      `Guest RAM pre-copy (dirty pages: CPU = KVM-style dirty log, DMA = ${r.iommu} dirty bits via GET_DIRTY_BITMAP)`,
      '  round  VM       sent  CPU-dirty  DMA-dirty  both  left  expected µs   at µs  took µs',
      ...ram.rounds.map(
        (x) =>
          `  ${(x.stopped ? 'final' : String(x.round)).padStart(5)}  ${x.stopped ? 'stopped' : 'running'}  ${n(x.pagesSent, 5)}  ` +
          `${n(x.cpuDirtyPages, 9)}  ${n(x.dmaDirtyPages, 9)}  ${n(x.bothDirtyPages, 4)}  ${n(x.remainingPages, 4)}  ` +
          `${n(x.expectedDowntimeUs, 11)}  ${n(x.startUs, 6)}  ${n(x.durationUs, 7)}`,
      ),
      `  ${ram.converged ? 'converged' : 'did not converge'}: expected downtime ≤ ${ram.downtimeLimitUs} µs ` +
        (v2 !== null
          ? `((remaining RAM + MIG_DATA_SIZE) / link bandwidth${v2.lastPending !== null ? `: ${v2.lastPending.bytes} B → ${v2.lastPending.expectedDowntimeUs} µs` : ''}) `
          : '(remaining bytes / link bandwidth) ') +
        `${ram.converged ? 'after' : 'not reached in'} ${ram.rounds.length - 1} round(s) (limit ${ram.maxRounds})`,
      ...(v2 !== null
        ? ["  each round is followed by the device's save_live_iterate (interleaved, as QEMU iterates)"]
        : []),
      '',
    );
  }
  lines.push(
    `RAM check at the switch-over: ${ram.check.pagesCompared} pages compared, ` +
      (ram.check.mismatchedPages === 0 ? 'identical' : `${ram.check.mismatchedPages} differ`),
    '',
    `Virtual time per phase  ${'µs'.padStart(6)}  ${'device B'.padStart(9)}  ${'memory B'.padStart(9)}`,
    ...time.phases.map(
      (p) => `  ${p.name.padEnd(20)} ${n(p.us, 7)}  ${n(p.deviceBytes, 9)}  ${n(p.guestMemoryBytes, 9)}`,
    ),
    `  ${'downtime'.padEnd(20)} ${n(time.downtime, 7)}  (VM stopped on the source → running on the destination)`,
    `  ${'total'.padEnd(20)} ${n(time.total, 7)}`,
    '',
    `Downtime, same seed: ${precopy ? time.downtime : r.comparison.downtimeUs} µs with RAM pre-copy, ` +
      `${precopy ? r.comparison.downtimeUs : time.downtime} µs copying RAM whole while stopped → ${r.downtimeRatio}× ` +
      `(comparison run ${r.comparison.mode}: ${r.comparison.result})`,
    `Downtime, same seed and RAM mode: ${r.protocol} ${time.downtime} µs, ${r.otherProtocol.protocol} ${r.otherProtocol.downtimeUs} µs ` +
      `(total ${time.total} µs against ${r.otherProtocol.totalUs} µs; comparison run ${r.otherProtocol.protocol}: ${r.otherProtocol.result})`,
    '',
    `Jobs (${j.engine}, each output checked against ${j.reference})`,
    `  submitted              ${j.submitted} (${j.submittedOnSource} on the source — ${j.submittedDuringMigration} of them while the migration ran — ${j.submittedOnDestination} on the destination after it)`,
    `  in flight at the stop  ${j.inFlightAtStop} (${j.completedBeforeMigration} done before the migration started${j.inFlightAtStop === 0 ? '; every job finished before the stop' : ''})`,
    `  completed              ${j.completedOnSource} on the source, ${j.completedOnDestination} on the destination`,
    `  verified exactly once  ${j.verified} / ${j.submitted}`,
    ...lossLines(j),
    '',
    `Layers in this demo: ${used.join(', ')}`,
  );
  if (builtOnly.length > 0) lines.push(`Built, not in this demo yet: ${builtOnly.join(', ')}`);
  if (notBuilt.length > 0) lines.push(`Not built yet: ${notBuilt.join(', ')}`);
  lines.push('');
  for (const f of r.failures) lines.push(`  ✗ ${f}`);
  lines.push(
    r.result === 'PASS'
      ? `PASS: every job completed exactly once with the right output (${DESTINATION_JOBS} of them submitted after the switch-over), guest RAM identical at the switch-over (all three runs)`
      : 'FAIL',
  );
  return `${lines.join('\n')}\n`;
}
