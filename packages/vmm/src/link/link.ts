import { KernelError, type VirtualClock } from '@vfio-sim/platform';
import type { MigrationPhaseName } from '../report/migration-report.js';
import { applyLinkFault, checkLinkFaults, type LinkFault, type LinkFaultRecord } from './link-fault.js';
import { frameSection, LINK_SECTION_HEADER_SIZE, unframeSection } from './link-section.js';

/** 10 Gbit/s in bytes per µs: the default migration link. */
export const LINK_10GBIT_BYTES_PER_US = 1250;

/** Options of {@link MigrationLink} beyond its speed. */
export interface MigrationLinkOptions {
  /**
   * Frame every vfio section with its length and CRC-32C, checked by the destination, which refuses a
   * section that fails (EIO) — default true. Beyond upstream (QEMU's stream has neither).
   */
  readonly sectionCrc?: boolean;
  /** Corruption to apply in flight ({@link LinkFault}); each applies once. */
  readonly faults?: readonly LinkFault[];
}

/** What the link did with the vfio sections of one migration. */
export interface LinkReport {
  /** Whether sections were framed and checked (length + CRC-32C). */
  readonly sectionCrc: boolean;
  /** vfio sections carried. */
  readonly sections: number;
  /** Each section's size as QEMU wrote it (without the link header), in order. */
  readonly sectionSizes: readonly number[];
  /**
   * Sections that arrived changed by a link fault and were handed to the destination's QEMU anyway
   * (sections not checked): what the destination loaded is not what the source saved.
   */
  readonly corruptDelivered: number;
  /** Bytes of link headers (8 per section when framed). */
  readonly framingBytes: number;
  /** The first section the destination refused, and why (null if none). */
  readonly refused: { readonly section: number; readonly reason: string } | null;
  readonly faults: readonly LinkFaultRecord[];
}

/**
 * The migration channel between two hosts: sending `n` bytes busy-waits `ceil(n / bytesPerUs)` µs of
 * virtual time (hardware events due meanwhile run), and the bytes are counted. vfio sections travel as
 * bytes ({@link transferSection}): framed with their length and CRC-32C unless `sectionCrc` is off,
 * corrupted in flight by any {@link LinkFault}, and checked on arrival. RAM pages cost time only (they
 * are copied in process; the RAM check compares them page by page). No latency, no loss of its own.
 *
 * VMM counterpart: QEMU's migration stream (`QEMUFile` over a socket) with `max-bandwidth`; the framing
 * is beyond upstream.
 */
export class MigrationLink {
  /** Whether vfio sections are framed and checked. */
  readonly sectionCrc: boolean;
  private sent = 0;
  private sections = 0;
  private readonly sizes: number[] = [];
  private corrupt = 0;
  private readonly perPhase = new Map<MigrationPhaseName, number>();
  private readonly faults: readonly LinkFault[];
  private readonly records: (LinkFaultRecord | undefined)[];
  private refusal: LinkReport['refused'] = null;

  /** @throws KernelError EINVAL unless `bytesPerUs` is a positive number; for a bad fault. */
  constructor(
    private readonly clock: VirtualClock,
    readonly bytesPerUs: number = LINK_10GBIT_BYTES_PER_US,
    options: MigrationLinkOptions = {},
  ) {
    if (!(bytesPerUs > 0))
      throw new KernelError('EINVAL', `link speed ${bytesPerUs} bytes/µs is not positive`);
    this.faults = options.faults ?? [];
    checkLinkFaults(this.faults);
    this.records = this.faults.map(() => undefined);
    this.sectionCrc = options.sectionCrc ?? true;
  }

  /** Bytes sent so far (link headers included). */
  get bytesSent(): number {
    return this.sent;
  }

  /** Send `bytes` bytes: virtual time advances by the transfer time. */
  send(bytes: number): void {
    this.sent += bytes;
    if (bytes > 0) this.clock.udelay(Math.ceil(bytes / this.bytesPerUs));
  }

  /**
   * Carry one vfio section, sent during `phase`, to the destination: framed (unless `sectionCrc` is
   * off), its transfer time spent, any fault for it applied, checked on arrival.
   * @returns the bytes the destination's QEMU reads (the section, or what a fault left of it when
   *   sections are not checked).
   * @throws KernelError EIO when the destination refuses it (short, wrong length, CRC mismatch).
   */
  transferSection(section: Uint8Array, phase: MigrationPhaseName): Uint8Array {
    const index = this.sections++;
    this.sizes.push(section.length);
    const inPhase = this.perPhase.get(phase) ?? 0;
    this.perPhase.set(phase, inPhase + 1);
    const header = this.sectionCrc ? LINK_SECTION_HEADER_SIZE : 0;
    let wire = this.sectionCrc ? frameSection(section) : section;
    this.send(wire.length);
    const hit: number[] = [];
    this.faults.forEach((fault, i) => {
      if (this.records[i] !== undefined) return;
      if (fault.section !== (fault.phase === undefined ? index : inPhase)) return;
      if (fault.phase !== undefined && fault.phase !== phase) return;
      const arrived = applyLinkFault(fault, wire, header);
      if (arrived === undefined) return;
      wire = arrived;
      hit.push(i);
      this.records[i] = { fault, section: index, phase, refused: false };
    });
    if (!this.sectionCrc) {
      if (hit.length > 0) this.corrupt++;
      return wire;
    }
    try {
      const body = unframeSection(wire, index);
      if (hit.length > 0) this.corrupt++;
      return body;
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
      this.refusal ??= { section: index, reason: e.message };
      for (const i of hit) this.records[i] = { ...(this.records[i] as LinkFaultRecord), refused: true };
      throw e;
    }
  }

  /** What the link did with the vfio sections so far. */
  report(): LinkReport {
    return {
      sectionCrc: this.sectionCrc,
      sections: this.sections,
      sectionSizes: [...this.sizes],
      corruptDelivered: this.corrupt,
      framingBytes: this.sectionCrc ? this.sections * LINK_SECTION_HEADER_SIZE : 0,
      refused: this.refusal,
      faults: this.faults.map(
        (fault, i) => this.records[i] ?? { fault, section: null, phase: null, refused: false },
      ),
    };
  }
}
