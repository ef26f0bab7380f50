import { KernelError } from '@vfio-sim/platform';
import type { QmFault, QmFaultKind } from '@vfio-sim/qm-hw';
import type { Host } from '../host/host.js';
import type { LinkFault } from '../link/link-fault.js';
import type { MigrationPhaseName } from '../report/migration-report.js';
import { MIGRATION_PHASES } from './fault-plan.js';
import type { Guest } from './guest.js';
import { type MigrateReport, type MigrationProtocol, migrate } from './migrate.js';
import { Simulation } from './simulation.js';
import type { MigrateVerdictKind } from './verdict.js';
import { verdictProblems } from './verdict-proof.js';

/** Every qm-hw fault kind; `dma-fault` is aimed at the target's queue memory. */
export const MATRIX_QM_FAULTS: readonly QmFaultKind[] = [
  'mb-stuck-busy',
  'mb-error',
  'cache-wb-stuck',
  'ras-pending',
  'ifc-pending',
  'engine-busy',
  'vf-not-ready',
  'dma-fault',
];

/** The link faults: a byte flipped, a section cut to nothing. */
export const MATRIX_LINK_FAULTS = ['link-flip', 'link-cut'] as const;

/** The phases in which vfio sections travel (where a link fault can hit one). */
const SECTION_PHASES: readonly MigrationPhaseName[] = ['setup', 'pre-copy', 'stop-and-copy'];

/** One cell of the fault matrix. */
export interface FaultMatrixCell {
  /** A qm-hw fault kind, or a link fault. */
  readonly fault: QmFaultKind | (typeof MATRIX_LINK_FAULTS)[number];
  /** Where a qm-hw fault goes (a link fault has neither side nor target: `link`). */
  readonly side: 'source' | 'destination' | 'link';
  readonly target: 'vf' | 'pf' | 'link';
  /** Armed as this phase begins (a link fault: the first section of this phase). */
  readonly phase: MigrationPhaseName;
  readonly protocol: MigrationProtocol;
  readonly precopy: boolean;
}

/** What one cell did. */
export interface FaultMatrixResult {
  readonly cell: FaultMatrixCell;
  /** The migration's verdict, or `crash` when something other than a KernelError escaped. */
  readonly verdict: MigrateVerdictKind | 'crash';
  /** Why the cell is not what it claims (proof missing), or what crashed; empty when it holds. */
  readonly problems: readonly string[];
  /** The migration's error (`errno: message`), or null when it migrated. */
  readonly error: string | null;
}

/**
 * Kernel/VMM counterpart: none — a test campaign over the model's faults (qm-hw's `QmFault`s as the
 * drivers' error paths see them, and link corruption).
 *
 * Every cell: each qm-hw fault × side (source, destination) × target (VF, PF) × phase × protocol ×
 * RAM pre-copy on/off, and each link fault × the phases with sections × protocol × pre-copy. v1 has no
 * `cleanup` phase, so v1 cells at `cleanup` do not exist.
 */
export function faultMatrixCells(): FaultMatrixCell[] {
  const cells: FaultMatrixCell[] = [];
  for (const protocol of ['v1', 'v2'] as const)
    for (const precopy of [true, false]) {
      for (const phase of MIGRATION_PHASES) {
        if (protocol === 'v1' && phase === 'cleanup') continue;
        for (const fault of MATRIX_QM_FAULTS)
          for (const side of ['source', 'destination'] as const)
            for (const target of ['vf', 'pf'] as const)
              cells.push({ fault, side, target, phase, protocol, precopy });
      }
      for (const phase of SECTION_PHASES)
        for (const fault of MATRIX_LINK_FAULTS)
          cells.push({ fault, side: 'link', target: 'link', phase, protocol, precopy });
    }
  return cells;
}

/** A cell as one line: `v2 pre-copy=on source vf stop mb-error`. */
export function faultMatrixCellName(c: FaultMatrixCell): string {
  return `${c.protocol} pre-copy=${c.precopy ? 'on' : 'off'} ${c.side} ${c.target} ${c.phase} ${c.fault}`;
}

/**
 * Run one cell: two one-VF hosts, a 16 MiB guest with 4 jobs in flight and a short job stream, the
 * fault armed at the phase (cleared when the migration ends), 2 jobs after it. Then check the verdict
 * carries its proof: `pass` — every job verified, RAM identical, the guest on the destination;
 * `aborted` — the guest running at the source with every job verified, those submitted after the abort
 * too; `attributed-loss` — every lost job with a cause that names the upstream code.
 */
export function runFaultMatrixCell(cell: FaultMatrixCell, seed = 3): FaultMatrixResult {
  const sim = new Simulation({ seed });
  const source = sim.createHost({ name: 'source', numVfs: 1 });
  const destination = sim.createHost({ name: 'destination', numVfs: 1 });
  const guest = sim.createGuest({ host: source, memory: 16 << 20 });
  guest.startWorkload({ jobs: 4, periodUs: 20, limit: 6 });
  sim.run(50);
  let report: MigrateReport;
  try {
    report = migrate(guest, {
      to: destination,
      protocol: cell.protocol,
      precopy: cell.precopy,
      jobsAfter: 2,
      ...armFault(cell, guest, cell.side === 'destination' ? destination : source),
    });
  } catch (e) {
    return {
      cell,
      verdict: 'crash',
      problems: [e instanceof Error ? (e.stack ?? e.message) : String(e)],
      error: null,
    };
  }
  return {
    cell,
    verdict: report.verdict,
    problems: verdictProblems(report, guest, source, destination),
    error: report.error === null ? null : report.error.message,
  };
}

/** The migrate options that arm the cell's fault. */
function armFault(cell: FaultMatrixCell, guest: Guest, host: Host) {
  if (cell.fault === 'link-flip' || cell.fault === 'link-cut') {
    const fault: LinkFault =
      cell.fault === 'link-flip'
        ? { kind: 'flip', section: 0, phase: cell.phase, byte: 12 }
        : { kind: 'cut', section: 0, phase: cell.phase, keep: 0 };
    return { link: { faults: [fault] } };
  }
  if (cell.side === 'link' || cell.target === 'link')
    throw new KernelError('EINVAL', 'a qm fault on the link');
  const fault: QmFault =
    cell.fault === 'dma-fault'
      ? queueMemoryFault(cell.target, guest, host)
      : ({ kind: cell.fault } as QmFault);
  return { faults: [{ fault, side: cell.side, target: cell.target, at: cell.phase }] };
}

/**
 * A DMA fault over a function's queue memory: the guest driver's contexts, EQ/AEQ and SQ/CQ rings for
 * the VF (the same guest-physical addresses on either side), the PF driver's `qdma` block for the PF.
 */
function queueMemoryFault(target: 'vf' | 'pf', guest: Guest, host: Host): QmFault {
  if (target === 'pf') {
    const qdma = host.pfDriver?.pfQm.qdma;
    if (qdma === undefined) throw new KernelError('ENODEV', `${host.name}: no PF driver`);
    return { kind: 'dma-fault', iova: qdma.dma, length: qdma.size };
  }
  const layout = guest.accelDriver(0)?.layout;
  if (layout === undefined) throw new KernelError('ENODEV', 'the guest has no accelerator VF driver');
  return { kind: 'dma-fault', iova: layout.qdma.dma, length: layout.slots - layout.qdma.dma };
}

/** The matrix's counts and its one-line summary. */
export interface FaultMatrixSummary {
  readonly cells: number;
  readonly pass: number;
  readonly aborted: number;
  readonly attributed: number;
  /** Cells that are silent, crashed, or whose verdict lacks its proof. */
  readonly silent: number;
  /** `fault matrix: N cells, P pass, A aborted cleanly, L attributed losses, S silent`. */
  readonly line: string;
}

/** Count the results ({@link FaultMatrixSummary}). */
export function summarizeFaultMatrix(results: readonly FaultMatrixResult[]): FaultMatrixSummary {
  const ok = (r: FaultMatrixResult, v: MigrateVerdictKind) => r.verdict === v && r.problems.length === 0;
  const pass = results.filter((r) => ok(r, 'pass')).length;
  const aborted = results.filter((r) => ok(r, 'aborted')).length;
  const attributed = results.filter((r) => ok(r, 'attributed-loss')).length;
  const silent = results.length - pass - aborted - attributed;
  return {
    cells: results.length,
    pass,
    aborted,
    attributed,
    silent,
    line: `fault matrix: ${results.length} cells, ${pass} pass, ${aborted} aborted cleanly, ${attributed} attributed losses, ${silent} silent`,
  };
}
