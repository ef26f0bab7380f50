import { type LayerStatus, layerStatus } from '../layers.js';
import type { DeviceStateStep, MigrationPhaseName } from '../migration/live-migration-v1.js';
import { DESTINATION_JOBS, runMigrationDemo } from './migration-demo.js';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  readonly seed: number;
  /** Jobs submitted on the source before the migration. */
  readonly jobs: number;
}

/** The layers the demo runs on; the others are built but not part of it yet. */
const USED_BY_DEMO = new Set([
  '@vfio-sim/platform',
  '@vfio-sim/qm-hw',
  '@vfio-sim/iommufd',
  '@vfio-sim/vfio-core',
  '@vfio-sim/migration-v1',
  '@vfio-sim/hisi-acc-vfio-pci',
]);

/** The demo's summary: what `vfio-sim demo` prints, and exactly what `--json` prints. */
export interface DemoReport {
  readonly seed: number;
  readonly result: 'PASS' | 'FAIL';
  /** Why the run failed; empty on PASS. */
  readonly failures: readonly string[];
  /** `device_state` after each step of QEMU's v1 client, repeats collapsed. */
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
    readonly inFlightAtStop: number;
    readonly completedOnSource: number;
    readonly completedOnDestination: number;
    readonly verified: number;
  };
  readonly layers: readonly (LayerStatus & { readonly usedByDemo: boolean })[];
}

/** Run the demo (a v1 live migration of a guest running ZIP jobs) and summarise it. */
export function runDemo(options: DemoOptions): DemoReport {
  const r = runMigrationDemo(options);
  const m = r.migration;
  const t = r.jobs;
  return {
    seed: r.seed,
    result: r.pass ? 'PASS' : 'FAIL',
    failures: r.failures,
    states: { source: walked(m.sourceStates), destination: walked(m.destinationStates) },
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
      inFlightAtStop: r.inFlightAtStop,
      completedOnSource: t.completedOnSource,
      completedOnDestination: t.completedOnDestination,
      verified: t.verified,
    },
    layers: layerStatus().map((l) => ({ ...l, usedByDemo: USED_BY_DEMO.has(l.name) })),
  };
}

/** The states a device walked: the names, consecutive repeats collapsed. */
function walked(steps: readonly DeviceStateStep[]): string[] {
  const out: string[] = [];
  for (const s of steps) if (out[out.length - 1] !== s.name) out.push(s.name);
  return out;
}

/** The demo report as text for a terminal. */
export function formatDemoReport(r: DemoReport): string {
  const b = r.bytes;
  const j = r.jobs;
  const time = r.virtualTimeUs;
  const gbit = (r.linkBytesPerUs * 8) / 1000;
  const short = (name: string) => name.replace('@vfio-sim/', '');
  const used = r.layers.filter((l) => l.usedByDemo && l.built).map((l) => short(l.name));
  const builtOnly = r.layers.filter((l) => !l.usedByDemo && l.built).map((l) => short(l.name));
  const notBuilt = r.layers.filter((l) => !l.built).map((l) => short(l.name));
  const lines = [
    `vfio-sim demo (seed ${r.seed}): v1 live migration of a guest using a HiSilicon ZIP VF`,
    "  two in-process hosts, VF 0 on each bound to hisi-acc-vfio-pci; QEMU's v1 client drives both",
    `  link ${gbit} Gbit/s, no latency; virtual time only`,
    '',
    'Device states walked (device_state read after every client step)',
    `  source       ${r.states.source.join(' → ')}`,
    `  destination  ${r.states.destination.join(' → ')}`,
    '',
    'Bytes moved',
    `  device state  ${b.deviceState.saved} B saved, ${b.deviceState.loaded} B loaded ` +
      `(${b.deviceState.stream} B of stream with QEMU's framing; ${r.precopyIterations} pre-copy iteration(s))`,
    `  guest memory  ${b.guestMemory.bytes} B (${b.guestMemory.pages} pages of 4 KiB), copied whole while the VM was stopped`,
    `                (rings, contexts, buffers; no dirty tracking yet), ${r.pendingIrqsMoved} queued interrupt(s) with the vCPUs`,
    '',
    `Virtual time per phase  ${'µs'.padStart(6)}  ${'device B'.padStart(9)}  ${'memory B'.padStart(9)}`,
    ...time.phases.map(
      (p) =>
        `  ${p.name.padEnd(20)} ${String(p.us).padStart(7)}  ${String(p.deviceBytes).padStart(9)}  ${String(p.guestMemoryBytes).padStart(9)}`,
    ),
    `  ${'downtime'.padEnd(20)} ${String(time.downtime).padStart(7)}  (VM stopped on the source → running on the destination)`,
    `  ${'total'.padEnd(20)} ${String(time.total).padStart(7)}`,
    '',
    'Jobs (ZIP deflate, each output checked against node:zlib deflateRawSync)',
    `  submitted              ${j.submitted} (${j.submittedOnSource} on the source, ${j.submittedOnDestination} on the destination after the migration)`,
    `  in flight at the stop  ${j.inFlightAtStop} (${j.completedBeforeMigration} done before the migration started${j.inFlightAtStop === 0 ? '; every job finished before the stop' : ''})`,
    `  completed              ${j.completedOnSource} on the source, ${j.completedOnDestination} on the destination`,
    `  verified exactly once  ${j.verified} / ${j.submitted}`,
    '',
    `Layers in this demo: ${used.join(', ')}`,
  ];
  if (builtOnly.length > 0) lines.push(`Built, not in this demo yet: ${builtOnly.join(', ')}`);
  if (notBuilt.length > 0) lines.push(`Not built yet: ${notBuilt.join(', ')}`);
  lines.push('');
  for (const f of r.failures) lines.push(`  ✗ ${f}`);
  lines.push(
    r.result === 'PASS'
      ? `PASS: every job completed exactly once with the right output (${DESTINATION_JOBS} of them submitted after the switch-over)`
      : 'FAIL',
  );
  return `${lines.join('\n')}\n`;
}
