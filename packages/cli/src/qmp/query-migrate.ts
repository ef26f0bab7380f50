import { PAGE_SIZE } from '@vfio-sim/platform';
import type { MigrateReport, MigrationPhaseName } from '@vfio-sim/vmm';

/**
 * QEMU's `MigrationStats` (qapi/migration.json) as vfio-sim fills it: the fields a finished outgoing
 * migration of the model has, in QEMU's names and units (bytes, pages, Mbit/s).
 */
export interface QmpMigrationStats {
  /** Every byte on the migration stream: guest RAM pages plus the vfio sections with QEMU's framing. */
  readonly transferred: number;
  /** Bytes still to send: 0 once completed (QEMU fills it only while the migration runs). */
  readonly remaining: number;
  /** The guest's RAM (`ram_bytes_total`). */
  readonly total: number;
  /** Pages sent, pre-copy rounds and the final pass together. */
  readonly normal: number;
  readonly 'normal-bytes': number;
  /** Pages dirtied per second: 0 once completed (QEMU fills it only while the migration runs). */
  readonly 'dirty-pages-rate': number;
  /** Throughput in Mbit/s: transferred bytes × 8 over the time after setup. */
  readonly mbps: number;
  /** Dirty-bitmap syncs: one after each pre-copy round and the final one while stopped. */
  readonly 'dirty-sync-count': number;
  readonly 'page-size': number;
  /** RAM bytes sent while the guest ran. */
  readonly 'precopy-bytes': number;
  /** RAM bytes sent while the guest was stopped. */
  readonly 'downtime-bytes': number;
}

/**
 * QEMU's `MigrationInfo`, the reply of QMP `query-migrate` (`info migrate` in HMP), for a migration the
 * model ran: `completed` with the times, RAM and vfio figures, or `failed` with the error — as a QEMU
 * source reports it once the migration has ended. `x-vfio-sim` (not QEMU's) keeps the model's own times
 * in µs, which QEMU's whole milliseconds cannot show for a migration this short.
 */
export interface QmpMigrationInfo {
  readonly status: 'completed' | 'failed';
  /** `failed` only: what went wrong (the phase, the errno and the message). */
  readonly 'error-desc'?: string;
  /** ms from the start of the migration to the source's completion (after the last byte). */
  readonly 'total-time'?: number;
  /** ms from the source vCPUs' stop to the source's completion. */
  readonly downtime?: number;
  /** ms of the setup phase, before the iterations. */
  readonly 'setup-time'?: number;
  readonly ram?: QmpMigrationStats;
  /** `VfioStats`: device-state bytes the vfio devices saved (without QEMU's framing). */
  readonly vfio?: { readonly transferred: number };
  /** The model's times (µs of virtual time): its total and downtime run to the destination's start. */
  readonly 'x-vfio-sim'?: {
    readonly 'total-time-us': number;
    readonly 'setup-time-us': number;
    readonly 'downtime-us': number;
  };
}

/** QEMU's clock in ms (`qemu_clock_get_ms`) at a virtual time in µs: whole milliseconds, truncated. */
const ms = (us: number) => Math.floor(us / 1000);

/**
 * The `query-migrate` reply QEMU's source would give after the migration `report` describes, for a
 * guest of `guestRamBytes` of RAM.
 *
 * QEMU counterpart: `qmp_query_migrate()` → `fill_source_migration_info()` (migration/migration.c):
 * `populate_time_info`, `populate_ram_info`, `migration_populate_vfio_info` for COMPLETED; status and
 * `error-desc` only for FAILED. Times are differences of ms clock readings, as
 * `migration_calculate_complete` takes them: the end is the source's completion (the end of the final
 * RAM pass, before the destination starts), so QEMU's downtime is shorter than the model's, which
 * runs to the destination's `vm_start` (kept in `x-vfio-sim`). `mbps` is QEMU's formula over the µs
 * times (at ms resolution it would divide by zero here).
 */
export function queryMigrate(report: MigrateReport, guestRamBytes: number): QmpMigrationInfo {
  const m = report.migration;
  if (m === null) {
    const e = report.error;
    return {
      status: 'failed',
      ...(e !== null ? { 'error-desc': `${e.phase}: ${e.errno}: ${e.message}` } : {}),
    };
  }
  const phase = (name: MigrationPhaseName) => m.phases.find((p) => p.name === name);
  const startUs = m.phases[0]?.startUs ?? 0;
  const end = (name: MigrationPhaseName) => {
    const p = phase(name);
    return p === undefined ? startUs : p.startUs + p.durationUs;
  };
  const setupEndUs = end('setup');
  const completeUs = end('guest memory');
  const stopUs = phase('stop')?.startUs ?? completeUs;
  const ramBytes = m.ram.precopyBytes + m.ram.stoppedBytes;
  const transferred = ramBytes + m.streamBytes;
  const transferUs = completeUs - setupEndUs;
  const normal = ramBytes / PAGE_SIZE;
  return {
    status: 'completed',
    'total-time': ms(completeUs) - ms(startUs),
    downtime: ms(completeUs) - ms(stopUs),
    'setup-time': ms(setupEndUs) - ms(startUs),
    ram: {
      transferred,
      remaining: 0,
      total: guestRamBytes,
      normal,
      'normal-bytes': normal * PAGE_SIZE,
      'dirty-pages-rate': 0,
      mbps: transferUs > 0 ? Math.round(((transferred * 8) / transferUs) * 100) / 100 : 0,
      'dirty-sync-count': m.ram.rounds.length,
      'page-size': PAGE_SIZE,
      'precopy-bytes': m.ram.precopyBytes,
      'downtime-bytes': m.ram.stoppedBytes,
    },
    vfio: { transferred: m.deviceBytesSaved },
    'x-vfio-sim': {
      'total-time-us': m.totalUs,
      'setup-time-us': setupEndUs - startUs,
      'downtime-us': m.downtimeUs,
    },
  };
}

/** The reply as QMP prints it, `{ "return": … }`, in two-space JSON with a final newline. */
export function formatQueryMigrate(report: MigrateReport, guestRamBytes: number): string {
  return `${JSON.stringify({ return: queryMigrate(report, guestRamBytes) }, null, 2)}\n`;
}
