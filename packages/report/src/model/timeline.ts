import type { MigrateReport } from '@vfio-sim/vmm';
import type { MigrationWindow } from './migration-window.js';
import type { HostSide, TimelineCategory, TimelineInterval, TimelineMark } from './report-model.js';
import type { TraceIndex } from './trace-index.js';

/** The timeline of both hosts: its lanes (top to bottom), its bars and its point marks. */
export interface Timeline {
  readonly lanes: readonly string[];
  readonly intervals: readonly TimelineInterval[];
  readonly marks: readonly TimelineMark[];
}

/** A lane's label: the host, then what the lane shows. */
export const laneName = (host: string, what: string): string => `${host} · ${what}`;

/**
 * The colour group of a device state: its v2 name (v1's region states map to the v2 states they
 * correspond to; the P2P states to their non-P2P sides); anything else is `ERROR`.
 */
export function stateCategory(name: string): TimelineCategory {
  const v2: Record<string, TimelineCategory> = {
    running: 'RUNNING',
    'pre-copy': 'PRE_COPY',
    'stop-and-copy': 'STOP_COPY',
    stop: 'STOP',
    resuming: 'RESUMING',
    RUNNING: 'RUNNING',
    RUNNING_P2P: 'RUNNING',
    PRE_COPY: 'PRE_COPY',
    PRE_COPY_P2P: 'PRE_COPY',
    STOP_COPY: 'STOP_COPY',
    STOP: 'STOP',
    RESUMING: 'RESUMING',
  };
  return v2[name] ?? 'ERROR';
}

/**
 * Both hosts over virtual time, from the report and the trace of the same run: the guest's VM on each
 * host (running, stopped, incoming), the migration's phases and RAM rounds on the source, each
 * device's migration state on each side (from the `migration.state` instants: a state holds from the
 * read that saw it to the next read), the faults armed and where they took effect, the failure's
 * errno, and (v2) the destination's switch-over approval.
 */
export function buildTimeline(
  index: TraceIndex,
  report: MigrateReport,
  window: MigrationWindow,
  span: { startUs: number; endUs: number },
): Timeline {
  const { from, to } = report;
  const migrated = report.migration !== null;
  const intervals: TimelineInterval[] = [];
  const marks: TimelineMark[] = [];
  const sideHost = (side: HostSide) => (side === 'source' ? from : to);
  const bar = (side: HostSide, what: string, rest: Omit<TimelineInterval, 'lane' | 'side'>) => {
    if (rest.endUs > rest.startUs) intervals.push({ lane: laneName(sideHost(side), what), side, ...rest });
  };

  // The guest's VM on each host.
  const stopUs = window.stop?.ts ?? null;
  const restartUs = window.restart?.ts ?? null;
  const vm = (side: HostSide, label: 'running' | 'stopped' | 'incoming', startUs: number, endUs: number) =>
    bar(side, 'VM', {
      kind: 'vm',
      label,
      category: label,
      startUs,
      endUs,
      detail: `the guest's VM ${label}`,
    });
  vm('source', 'running', span.startUs, stopUs ?? (migrated ? window.endUs : span.endUs));
  if (stopUs !== null) {
    if (migrated) vm('source', 'stopped', stopUs, window.endUs);
    else {
      vm('source', 'stopped', stopUs, restartUs ?? window.endUs);
      if (restartUs !== null) vm('source', 'running', restartUs, span.endUs);
    }
  }
  if (migrated) {
    vm('destination', 'incoming', window.startUs, restartUs ?? window.endUs);
    if (restartUs !== null) vm('destination', 'running', restartUs, span.endUs);
  } else vm('destination', 'incoming', window.startUs, window.endUs);

  // The migration's phases (and the failing one), then the RAM rounds.
  for (const p of window.phases)
    bar('source', 'migration', {
      kind: 'phase',
      label: p.name,
      category: p.name,
      startUs: p.startUs,
      endUs: p.endUs,
      detail: `${p.name}: ${p.endUs - p.startUs} µs, ${p.deviceBytes} B of device state, ${p.guestMemoryBytes} B of guest RAM`,
    });
  const failed = window.failedPhase;
  const error = window.error;
  if (failed !== null && error !== null)
    bar('source', 'migration', {
      kind: 'phase',
      label: `${failed.name} (${error.errno})`,
      category: 'failed phase',
      startUs: failed.startUs,
      endUs: Math.max(failed.endUs, failed.startUs),
      detail: `${failed.name} failed: ${error.message}`,
    });
  const rounds = report.migration?.ram.rounds ?? [];
  for (const r of rounds)
    bar('source', 'RAM', {
      kind: 'ram-round',
      label: r.stopped ? 'final' : `round ${r.round}`,
      category: r.stopped ? 'RAM final round' : 'RAM round',
      startUs: r.startUs,
      endUs: r.startUs + r.durationUs,
      detail:
        `${r.stopped ? 'final round (VM stopped)' : `RAM round ${r.round}`}: ${r.pagesSent} pages sent; ` +
        `sync found ${r.cpuDirtyPages} CPU-dirty, ${r.dmaDirtyPages} DMA-dirty (${r.bothDirtyPages} both); ${r.remainingPages} left`,
    });

  // Each device's migration state on each side.
  const deviceLanes = { source: [] as string[], destination: [] as string[] };
  for (const side of ['source', 'destination'] as const) {
    const host = sideHost(side);
    const reads = index
      .instants(host, 'qemu', 'migration.state')
      .filter((e) => e.ts >= window.startUs && e.ts <= window.endUs);
    const devices = [...new Set(reads.map((e) => String(e.args?.device ?? 'device')))];
    const holdsUntil = side === 'destination' && migrated ? span.endUs : window.endUs;
    for (const device of devices) {
      deviceLanes[side].push(device);
      const mine = reads.filter((e) => String(e.args?.device ?? 'device') === device);
      mine.forEach((e, i) => {
        bar(side, device, {
          kind: 'device-state',
          label: e.name,
          category: stateCategory(e.name),
          startUs: e.ts,
          endUs: mine[i + 1]?.ts ?? holdsUntil,
          detail: `${device} in ${e.name} (device_state ${e.args?.device_state}) after ${e.args?.step}`,
        });
      });
    }
  }

  // Faults: armed until cleared; each time one took effect; the errno that ended the migration.
  for (const f of report.faults)
    bar(f.side, 'faults', {
      kind: 'fault',
      label: f.fault.kind,
      category: 'fault',
      startUs: f.injectedUs,
      endUs: Math.max(f.clearedUs ?? window.endUs, f.injectedUs + 1),
      detail: `${f.fault.kind} injected into the ${f.target.toUpperCase()} ${f.function} in ${f.phase}`,
    });
  for (const side of ['source', 'destination'] as const) {
    if (!report.faults.some((f) => f.side === side)) continue;
    for (const e of index.processInstants(sideHost(side), 'qm.fault'))
      if (e.name.startsWith('hit ') && e.ts >= window.startUs && e.ts <= window.endUs)
        marks.push({
          lane: laneName(sideHost(side), 'faults'),
          side,
          kind: 'fault-hit',
          label: e.name,
          atUs: e.ts,
          detail: `${e.name} took effect${e.args?.detail !== undefined ? ` (${e.args.detail})` : ''}`,
        });
  }
  if (error !== null)
    marks.push({
      lane: laneName(from, 'migration'),
      side: 'source',
      kind: 'error',
      label: error.errno,
      atUs: error.atUs,
      detail: `migration aborted in ${error.phase}: ${error.message}`,
    });
  const m = report.migration;
  if (m?.protocol === 'v2' && m.switchoverApprovedUs !== null && deviceLanes.destination[0] !== undefined)
    marks.push({
      lane: laneName(to, deviceLanes.destination[0]),
      side: 'destination',
      kind: 'switchover',
      label: 'switch-over approved',
      atUs: m.switchoverApprovedUs,
      detail: 'the destination loaded INIT_DATA_SENT and approved the switch-over (switchover-ack)',
    });

  const lanesOf = (side: HostSide) => {
    const host = sideHost(side);
    const hasFaults = report.faults.some((f) => f.side === side);
    return [
      laneName(host, 'VM'),
      ...(side === 'source' ? [laneName(host, 'migration')] : []),
      ...(side === 'source' && rounds.length > 0 ? [laneName(host, 'RAM')] : []),
      ...deviceLanes[side].map((d) => laneName(host, d)),
      ...(hasFaults ? [laneName(host, 'faults')] : []),
    ];
  };
  return { lanes: [...lanesOf('source'), ...lanesOf('destination')], intervals, marks };
}
