import type { Tracer } from '@vfio-sim/platform';
import type { MigrationLink } from '../../link/link.js';
import type { DeviceMigrationReport, LiveMigrationReport } from '../../report/migration-report.js';
import type { MigrationPhases } from '../migration-phases.js';

/** The byte counts of the vfio sections, as a live-migration report holds them. */
export type VfioSectionTotals = Pick<
  LiveMigrationReport,
  'deviceBytesSaved' | 'deviceBytesLoaded' | 'streamBytes'
>;

/**
 * The accounting of the vfio sections of one migration stream, whichever device protocol wrote them:
 * each section's size goes on the link and into the stream total, its device-state bytes into the
 * saved total and the current phase, and what the destination loaded into the loaded total. When the
 * source host traces, each section is an instant `migration.section` named after the phase it went out
 * in (args: the device's PCI name, its device-state bytes and its bytes on the stream).
 *
 * VMM counterpart: the vfio byte counters of hw/vfio/migration.c (`bytes_transferred`) and the
 * stream's transferred bytes of migration/migration-stats.c.
 */
export class VfioSectionStats {
  private saved = 0;
  private loadedBytes = 0;
  private stream = 0;

  /** `device` (the source device's PCI name) labels the trace events on `tracer`. */
  constructor(
    private readonly link: MigrationLink,
    private readonly phases: MigrationPhases,
    private readonly tracer: Tracer,
    private readonly device: string,
  ) {}

  /** A section the source wrote: `deviceBytes` of device state in `sectionBytes` on the stream, sent. */
  sent(deviceBytes: number, sectionBytes: number): void {
    this.saved += deviceBytes;
    this.phases.addDeviceBytes(deviceBytes);
    this.stream += sectionBytes;
    if (this.tracer.enabled)
      this.tracer.instant('migration.section', this.phases.current, {
        device: this.device,
        deviceBytes,
        sectionBytes,
      });
    this.link.send(sectionBytes);
  }

  /** Device-state bytes the destination loaded from a section. */
  loaded(deviceBytes: number): void {
    this.loadedBytes += deviceBytes;
  }

  /** The totals so far. */
  get totals(): VfioSectionTotals {
    return { deviceBytesSaved: this.saved, deviceBytesLoaded: this.loadedBytes, streamBytes: this.stream };
  }
}

/** The byte totals of every device together (a report's top-level counts). */
export function sumSectionTotals(devices: readonly DeviceMigrationReport[]): VfioSectionTotals {
  let deviceBytesSaved = 0;
  let deviceBytesLoaded = 0;
  let streamBytes = 0;
  for (const d of devices) {
    deviceBytesSaved += d.deviceBytesSaved;
    deviceBytesLoaded += d.deviceBytesLoaded;
    streamBytes += d.streamBytes;
  }
  return { deviceBytesSaved, deviceBytesLoaded, streamBytes };
}
