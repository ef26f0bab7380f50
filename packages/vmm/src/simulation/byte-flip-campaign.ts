import { KernelError, Prng } from '@vfio-sim/platform';
import type { LinkFault } from '../link/link-fault.js';
import { type MigrateReport, type MigrationProtocol, migrate } from './migrate.js';
import { Simulation } from './simulation.js';

/** Options of {@link runByteFlipCampaign}. */
export interface ByteFlipCampaignOptions {
  readonly protocol: MigrationProtocol;
  /** Corrupted migrations to run. */
  readonly cases: number;
  /** Seeds which byte of which section is hit, and how (the world is the same in every case). */
  readonly seed: number;
  /** Sections framed with length + CRC-32C and checked (the link's `sectionCrc`). */
  readonly sectionCrc: boolean;
  /** The destination's device-bytes check (`checkDeviceBytes`). */
  readonly checkDeviceBytes: boolean;
  /** Every `cutEvery`-th case cuts its section instead of flipping a byte (default 4; 0: flips only). */
  readonly cutEvery?: number;
}

/** What a campaign found. */
export interface ByteFlipFigures {
  readonly cases: number;
  /** Migrations that went through with a corrupted section loaded: a wrong state on the destination. */
  readonly wrongLoads: number;
  /** Cases the destination refused at the link (length / CRC-32C). */
  readonly refusedAtLink: number;
  /** Cases that failed otherwise (the loader or the device rejected the bytes, or the device-bytes check). */
  readonly failedOtherwise: number;
  /** Cases whose fault never reached a section. */
  readonly missed: number;
}

/**
 * A byte-flip campaign over real migrations: one world (two hosts, a guest with jobs in flight) migrated
 * once cleanly to learn its vfio sections, then `cases` times with one section corrupted in flight —
 * byte k of section s XOR-ed with a mask 1..255, or (every `cutEvery`-th case) the section cut to k
 * bytes — where s and k are drawn uniformly over every byte the migration's sections carry. A case is a
 * wrong load when the guest migrated with a corrupted section loaded. Seeded: same options, same figures.
 *
 * Kernel/VMM counterpart: none — a test of the link integrity that is beyond upstream.
 * @throws KernelError EINVAL for a case count that is not a non-negative integer.
 */
export function runByteFlipCampaign(options: ByteFlipCampaignOptions): ByteFlipFigures {
  const { protocol, cases, sectionCrc, checkDeviceBytes } = options;
  if (!Number.isInteger(cases) || cases < 0) throw new KernelError('EINVAL', `${cases} cases`);
  const cutEvery = options.cutEvery ?? 4;
  const sizes = migrateCampaignWorld(protocol, [], true, false).link.sectionSizes;
  const total = sizes.reduce((a, n) => a + n, 0);
  const prng = new Prng(options.seed);
  let wrongLoads = 0;
  let refusedAtLink = 0;
  let failedOtherwise = 0;
  let missed = 0;
  for (let i = 0; i < cases; i++) {
    let at = prng.int(0, total - 1);
    let section = 0;
    while (at >= (sizes[section] as number)) at -= sizes[section++] as number;
    const fault: LinkFault =
      cutEvery > 0 && i % cutEvery === cutEvery - 1
        ? { kind: 'cut', section, keep: at }
        : { kind: 'flip', section, byte: at, mask: prng.int(1, 255) };
    const r = migrateCampaignWorld(protocol, [fault], sectionCrc, checkDeviceBytes);
    if (r.link.faults[0]?.section === null) missed++;
    else if (r.link.refused !== null) refusedAtLink++;
    else if (r.outcome === 'migrated' && r.link.corruptDelivered > 0) wrongLoads++;
    else failedOtherwise++;
  }
  return { cases, wrongLoads, refusedAtLink, failedOtherwise, missed };
}

/**
 * The campaign's world — two one-VF hosts, a 16 MiB guest with 6 jobs and a short stream, seed 5 —
 * migrated once with `faults` on the link (1 job after it).
 */
export function migrateCampaignWorld(
  protocol: MigrationProtocol,
  faults: readonly LinkFault[],
  sectionCrc: boolean,
  checkDeviceBytes: boolean,
): MigrateReport {
  const sim = new Simulation({ seed: 5 });
  const source = sim.createHost({ name: 'source', numVfs: 1 });
  const destination = sim.createHost({ name: 'destination', numVfs: 1 });
  const guest = sim.createGuest({ host: source, memory: 16 << 20 });
  guest.startWorkload({ jobs: 6, periodUs: 20, limit: 6 });
  sim.run(40);
  return migrate(guest, {
    to: destination,
    protocol,
    link: { sectionCrc, faults },
    checkDeviceBytes,
    jobsAfter: 1,
  });
}
