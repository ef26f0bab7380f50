import type { MigrateReport } from '@vfio-sim/vmm';
import { DOWNTIME_PHASES } from './migration-window.js';
import type { DowntimeRun } from './report-model.js';

/** How a run moved guest RAM, in words. */
export function ramModeLabel(mode: 'precopy' | 'stop-and-copy'): string {
  return mode === 'precopy' ? 'RAM pre-copy' : 'RAM copied whole while stopped';
}

/**
 * One run for the downtime comparison: its downtime and total virtual time, and the phases inside the
 * downtime (stop … resume), which add up to it. An aborted run has no downtime (null).
 */
export function downtimeRun(report: MigrateReport, label: string | undefined, thisRun: boolean): DowntimeRun {
  const m = report.migration;
  const ramMode = m?.ram.mode ?? 'precopy';
  return {
    label: label ?? `${report.protocol}, ${ramModeLabel(ramMode)}${thisRun ? ' (this run)' : ''}`,
    protocol: report.protocol,
    ramMode,
    result: report.result,
    thisRun,
    downtimeUs: m?.downtimeUs ?? null,
    totalUs: m?.totalUs ?? null,
    downtimePhases: (m?.phases ?? [])
      .filter((p) => DOWNTIME_PHASES.includes(p.name))
      .map((p) => ({ name: p.name, us: p.durationUs })),
  };
}
