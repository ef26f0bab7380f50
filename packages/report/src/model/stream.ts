import type { DeviceStateStep, MigrateReport, MigrationPhaseName } from '@vfio-sim/vmm';
import type { MigrationWindow } from './migration-window.js';
import type { StreamDevice, StreamSection } from './report-model.js';
import type { TraceIndex } from './trace-index.js';

/** The states a device walked: the names, consecutive repeats collapsed. */
export function walkedStates(steps: readonly DeviceStateStep[]): string[] {
  const out: string[] = [];
  for (const s of steps) if (out[out.length - 1] !== s.name) out.push(s.name);
  return out;
}

/**
 * The device-state stream: each vfio section the source put on it (the source QEMU's
 * `migration.section` instants: phase, device, device-state and stream bytes) and each device's totals
 * from the report (none when the migration aborted: its sections still show what went out).
 */
export function buildStream(
  index: TraceIndex,
  report: MigrateReport,
  window: MigrationWindow,
): { devices: StreamDevice[]; sections: StreamSection[] } {
  const sections = index
    .instants(report.from, 'qemu', 'migration.section')
    .filter((e) => e.ts >= window.startUs && e.ts <= window.endUs)
    .map(
      (e, i): StreamSection => ({
        index: i + 1,
        device: String(e.args?.device ?? 'device'),
        phase: e.name as MigrationPhaseName,
        atUs: e.ts,
        deviceBytes: Number(e.args?.deviceBytes ?? 0),
        sectionBytes: Number(e.args?.sectionBytes ?? 0),
      }),
    );
  const devices = (report.migration?.devices ?? []).map(
    (d): StreamDevice => ({
      ...d,
      sourceStates: walkedStates(d.sourceStates),
      destinationStates: walkedStates(d.destinationStates),
    }),
  );
  return { devices, sections };
}
