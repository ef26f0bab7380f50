import type { Tracer } from '@vfio-sim/platform';
import { QemuFileReader, QemuFileWriter } from '@vfio-sim/vfio-core';
import type { VfioPciDevice } from '../../devices/vfio-pci-device.js';
import type { MigrationLink } from '../../link/link.js';
import type { DeviceMigrationReport, DeviceStateStep } from '../../report/migration-report.js';
import type { MigrationPhases } from '../migration-phases.js';
import { VfioSectionStats } from './vfio-section-stats.js';

/** What a live migration needs of a QEMU vfio client (v1 or v2) on the destination. */
export interface LoadingClient {
  /** Load one vfio section from `input`; its device-data bytes. */
  loadState(input: QemuFileReader): number;
}

/**
 * One device of a migrating VM: its pair of QEMU clients (`s` on the source, `d` on the destination),
 * the states walked on each side, and its sections' accounting. `R` is what a section's save returns.
 */
export interface MigratingDevice<C extends LoadingClient, R> {
  readonly s: C;
  readonly d: C;
  /** The destination device's PCI name on its host (for messages). */
  readonly name: string;
  readonly stats: VfioSectionStats;
  iterations: number;
  /** Read the migration state of one side after client step `step` and record it. */
  step(side: 'source' | 'destination', step: string): void;
  /** One vfio section: written by `save` on the source, carried by the link, loaded on the destination. */
  section(save: (w: QemuFileWriter) => R): void;
  report(): DeviceMigrationReport;
}

/** How one protocol's clients are read and counted ({@link migratingDevice}). */
export interface MigratingDeviceProtocol<C extends LoadingClient, R> {
  /** The device's migration state after a client step, traced (v1: `device_state`; v2: GET MIG_DEVICE_STATE). */
  readState(client: C, tracer: Tracer, device: string, step: string): DeviceStateStep;
  /** The device-data bytes of a section whose save returned `saved` (announced to the link's check). */
  deviceBytes(section: Uint8Array, saved: R): number;
  /** The step the first state is read after (`open`, `realize`). */
  readonly firstStep: string;
}

/** What every device of one migration shares. */
export interface MigrationContext {
  readonly link: MigrationLink;
  readonly phases: MigrationPhases;
  readonly tracer: Tracer;
  readonly dstTracer: Tracer;
}

/**
 * A device pair of a migration, its clients `s` / `d` already open: the first state of each side is
 * read, every section goes through the link's framing and accounting ({@link VfioSectionStats}) and is
 * loaded as it arrives, and the report lists the states walked.
 *
 * VMM counterpart: the per-device `VFIOMigration` of hw/vfio/migration.c, its savevm handlers' section
 * stream into the destination's `vfio_load_state`.
 */
export function migratingDevice<C extends LoadingClient, R>(
  src: VfioPciDevice,
  dst: VfioPciDevice,
  s: C,
  d: C,
  ctx: MigrationContext,
  protocol: MigratingDeviceProtocol<C, R>,
): MigratingDevice<C, R> {
  const { tracer, dstTracer } = ctx;
  const { readState } = protocol;
  const sourceStates: DeviceStateStep[] = [readState(s, tracer, src.host.name, protocol.firstStep)];
  const destinationStates: DeviceStateStep[] = [readState(d, dstTracer, dst.host.name, protocol.firstStep)];
  const stats = new VfioSectionStats(ctx.link, ctx.phases, tracer, src.host.name);
  const dev: MigratingDevice<C, R> = {
    s,
    d,
    name: `${dst.host.hostName} ${dst.host.name}`,
    stats,
    iterations: 0,
    step(side, step) {
      if (side === 'source') sourceStates.push(readState(s, tracer, src.host.name, step));
      else destinationStates.push(readState(d, dstTracer, dst.host.name, step));
    },
    section(save) {
      const w = new QemuFileWriter();
      const saved = save(w);
      const bytes = w.toBytes();
      const r = new QemuFileReader(stats.transfer(bytes, protocol.deviceBytes(bytes, saved)));
      while (r.remaining > 0) stats.loaded(d.loadState(r));
    },
    report: () => ({
      model: src.model,
      source: src.host.name,
      destination: dst.host.name,
      sourceStates,
      destinationStates,
      ...stats.totals,
      precopyIterations: dev.iterations,
    }),
  };
  return dev;
}
