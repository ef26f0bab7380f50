import type { InstantEvent } from '@vfio-sim/platform';
import type { MigrateReport, MigrationPhaseName } from '@vfio-sim/vmm';
import type { DowntimeWindow, ReportError } from './report-model.js';
import type { Indexed, TraceIndex } from './trace-index.js';

/** A phase of the migration as the timeline draws it. */
export interface PhaseBar {
  readonly name: MigrationPhaseName;
  readonly startUs: number;
  readonly endUs: number;
  readonly deviceBytes: number;
  readonly guestMemoryBytes: number;
}

/**
 * Where one migration sits in its run: its phases, start and end, the downtime window, the failing
 * step, and the vCPU events that bound the downtime (for the VM lanes and the jobs' sides).
 */
export interface MigrationWindow {
  readonly startUs: number;
  readonly endUs: number;
  /** The phases that ended (a failed migration's failing phase is {@link failedPhase}). */
  readonly phases: readonly PhaseBar[];
  readonly failedPhase: PhaseBar | null;
  readonly downtime: DowntimeWindow | null;
  readonly error: ReportError | null;
  /** The guest's `vm_stop` at the migration's stop (null if its vCPUs never stopped). */
  readonly stop: Indexed<InstantEvent> | null;
  /** The guest's next `vm_start`: on the destination after a switch-over, on the source after a cancel. */
  readonly restart: Indexed<InstantEvent> | null;
}

/** The phases inside the downtime: from the source vCPUs' stop to the destination's start. */
export const DOWNTIME_PHASES: readonly MigrationPhaseName[] = [
  'stop',
  'stop-and-copy',
  'guest memory',
  'resume',
];

/**
 * Place `report`'s migration on the trace: its phases (from the report when it migrated, from the
 * source QEMU's `migration` slices when it aborted — the failing phase then runs from the last phase's
 * end to the failure), the downtime window, and the failure's time: the last time a fault took effect
 * in the failing phase (`qm.fault` "hit …"), else the phase's start.
 */
export function migrationWindow(index: TraceIndex, report: MigrateReport, guest: string): MigrationWindow {
  const { from, to } = report;
  const vcpu = index.instants(guest, 'vCPUs', 'vm');
  const m = report.migration;
  if (m !== null) {
    const phases = m.phases.map((p) => ({
      name: p.name,
      startUs: p.startUs,
      endUs: p.startUs + p.durationUs,
      deviceBytes: p.deviceBytes,
      guestMemoryBytes: p.guestMemoryBytes,
    }));
    const stopPhase = phases.find((p) => p.name === 'stop');
    const startUs = phases[0]?.startUs ?? 0;
    const downStart = stopPhase?.startUs ?? startUs;
    const downtime = { startUs: downStart, endUs: downStart + m.downtimeUs, us: m.downtimeUs };
    const stop = vcpu.find((e) => e.name === 'vm_stop' && e.ts === downtime.startUs) ?? null;
    const restart =
      vcpu.find(
        (e) => e.name === 'vm_start' && e.ts === downtime.endUs && (stop === null || e.seq > stop.seq),
      ) ?? null;
    return {
      startUs,
      endUs: startUs + m.totalUs,
      phases,
      failedPhase: null,
      downtime,
      error: null,
      stop,
      restart,
    };
  }
  // Aborted: the phases that ended are the source QEMU's slices since its last setup.
  const slices = index.slices(from, 'qemu', 'migration');
  const lastSetup = slices.map((s) => s.name).lastIndexOf('setup');
  const phases: PhaseBar[] = slices.slice(Math.max(lastSetup, 0)).map((s) => ({
    name: s.name as MigrationPhaseName,
    startUs: s.ts,
    endUs: s.ts + s.dur,
    deviceBytes: Number(s.args?.deviceBytes ?? 0),
    guestMemoryBytes: Number(s.args?.guestMemoryBytes ?? 0),
  }));
  const firstState = [
    ...index.instants(from, 'qemu', 'migration.state'),
    ...index.instants(to, 'qemu', 'migration.state'),
  ]
    .map((e) => e.ts)
    .sort((a, b) => a - b)[0];
  const startUs = phases[0]?.startUs ?? firstState ?? index.bounds().endUs;
  const failedStart = phases[phases.length - 1]?.endUs ?? startUs;
  const hits = [...index.processInstants(from, 'qm.fault'), ...index.processInstants(to, 'qm.fault')].filter(
    (e) => e.name.startsWith('hit ') && e.ts >= failedStart,
  );
  const errorAt = hits.reduce((t, e) => Math.max(t, e.ts), failedStart);
  const stop = vcpu.find((e) => e.name === 'vm_stop' && e.ts >= failedStart) ?? null;
  const restart =
    stop === null ? null : (vcpu.find((e) => e.name === 'vm_start' && e.seq > stop.seq) ?? null);
  const cleared = report.faults.map((f) => f.clearedUs ?? f.injectedUs);
  const endUs = Math.max(errorAt, restart?.ts ?? 0, ...cleared);
  const error = report.error;
  return {
    startUs,
    endUs,
    phases,
    failedPhase:
      error === null
        ? null
        : { name: error.phase, startUs: failedStart, endUs, deviceBytes: 0, guestMemoryBytes: 0 },
    downtime: null,
    error: error === null ? null : { ...error, atUs: errorAt },
    stop,
    restart,
  };
}
