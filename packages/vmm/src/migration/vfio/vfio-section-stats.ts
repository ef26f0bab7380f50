import { KernelError, type Tracer } from '@vfio-sim/platform';
import type { MigrationLink } from '../../link/link.js';
import type { DeviceMigrationReport, LiveMigrationReport } from '../../report/migration-report.js';
import type { MigrationPhases } from '../migration-phases.js';

/** The byte counts of the vfio sections, as a live-migration report holds them. */
export type VfioSectionTotals = Pick<
  LiveMigrationReport,
  'deviceBytesSaved' | 'deviceBytesLoaded' | 'streamBytes'
>;

/** Bytes of a device-bytes announcement on the link: 'VSIM', be32 0, be64 bytes. */
const ANNOUNCE_SIZE = 16;
const ANNOUNCE_MAGIC = 0x5653_494d;

/**
 * The accounting of the vfio sections of one device's migration stream, whichever device protocol wrote
 * them: each section is carried by the link (framed and checked, see {@link MigrationLink}), its size
 * goes into the stream total, its device-state bytes into the saved total and the current phase, and
 * what the destination loaded into the loaded total. With the opt-in device-bytes check, the source
 * also announces the device bytes its kernel said there were ({@link announce}) and the destination
 * compares them with what it loaded ({@link checkAnnounced}). When the source host traces, each section
 * is an instant `migration.section` named after the phase it went out in (args: the device's PCI name,
 * its device-state bytes and its bytes on the stream).
 *
 * VMM counterpart: the vfio byte counters of hw/vfio/migration.c (`bytes_transferred`) and the
 * stream's transferred bytes of migration/migration-stats.c; the announcement is beyond upstream.
 */
export class VfioSectionStats {
  private saved = 0;
  private loadedBytes = 0;
  private stream = 0;
  private announced: { readonly bytes: number; readonly what: string } | undefined;

  /** `device` (the source device's PCI name) labels the trace events on `tracer`. */
  constructor(
    private readonly link: MigrationLink,
    private readonly phases: MigrationPhases,
    private readonly tracer: Tracer,
    private readonly device: string,
  ) {}

  /**
   * A section the source wrote: `deviceBytes` of device state in `section`, carried by the link.
   * @returns what the destination reads.
   * @throws KernelError EIO if the destination refuses the section (link integrity check).
   */
  transfer(section: Uint8Array, deviceBytes: number): Uint8Array {
    this.saved += deviceBytes;
    this.phases.addDeviceBytes(deviceBytes);
    this.stream += section.length;
    if (this.tracer.enabled)
      this.tracer.instant('migration.section', this.phases.current, {
        device: this.device,
        deviceBytes,
        sectionBytes: section.length,
      });
    return this.link.transferSection(section, this.phases.current);
  }

  /** Device-state bytes the destination loaded from a section. */
  loaded(deviceBytes: number): void {
    this.loadedBytes += deviceBytes;
  }

  /**
   * The source announces, in a section of the link's own, `bytes` of device state — what its kernel
   * said the device had (`what`: v2 MIG_DATA_SIZE, v1 the pending_bytes it read) — and the destination
   * keeps the figure for {@link checkAnnounced}.
   * @throws KernelError EIO if the destination refuses the section, or it arrives malformed.
   */
  announce(bytes: number, what: string): void {
    const out = new Uint8Array(ANNOUNCE_SIZE);
    const view = new DataView(out.buffer);
    view.setUint32(0, ANNOUNCE_MAGIC);
    view.setBigUint64(8, BigInt(bytes));
    const arrived = this.link.transferSection(out, this.phases.current);
    const got = new DataView(arrived.buffer, arrived.byteOffset, arrived.length);
    if (arrived.length !== ANNOUNCE_SIZE || got.getUint32(0) !== ANNOUNCE_MAGIC)
      throw new KernelError('EIO', `device-bytes announcement: ${arrived.length} malformed bytes`);
    this.announced = { bytes: Number(got.getBigUint64(8)), what };
  }

  /**
   * The destination's opt-in check before it starts the device: the device bytes it loaded equal what
   * the source announced.
   * @throws KernelError EIO if they differ, or nothing was announced.
   */
  checkAnnounced(device: string): void {
    const a = this.announced;
    if (a === undefined) throw new KernelError('EIO', `${device}: no device-bytes announcement arrived`);
    if (a.bytes !== this.loadedBytes)
      throw new KernelError(
        'EIO',
        `${device}: ${this.loadedBytes} device bytes received, the source announced ${a.bytes} (${a.what})`,
        { received: this.loadedBytes, announced: a.bytes },
      );
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
