import { KernelError } from '@vfio-sim/platform';
import type { MigrationPhaseName } from '../report/migration-report.js';

/**
 * Corruption of the migration stream in flight, on one vfio section:
 *
 * - `flip`: byte `byte` of the section (QEMU's bytes, not the link's header) is XOR-ed with `mask`
 *   (default 0xff) on the way;
 * - `cut`: only the first `keep` bytes of what the link sends arrive (the header too, when sections are
 *   framed), the rest is lost.
 *
 * Which section: the `section`-th (from 0) of the migration, or of `phase` when given. A fault whose
 * section never comes, or whose byte lies beyond it, does nothing (its record says so).
 */
export type LinkFault =
  | {
      readonly kind: 'flip';
      readonly section: number;
      readonly phase?: MigrationPhaseName;
      readonly byte: number;
      readonly mask?: number;
    }
  | {
      readonly kind: 'cut';
      readonly section: number;
      readonly phase?: MigrationPhaseName;
      readonly keep: number;
    };

/** What a {@link LinkFault} did. */
export interface LinkFaultRecord {
  readonly fault: LinkFault;
  /** The section it hit (index in the migration), or null if it never applied. */
  readonly section: number | null;
  readonly phase: MigrationPhaseName | null;
  /** Whether the destination's integrity check refused that section. */
  readonly refused: boolean;
}

/**
 * Check link faults before a migration touches anything.
 * @throws KernelError EINVAL for a negative or non-integer section, byte or keep, or a mask outside 1..255.
 */
export function checkLinkFaults(faults: readonly LinkFault[]): void {
  const bad = (n: number) => !(Number.isInteger(n) && n >= 0);
  for (const f of faults) {
    if (bad(f.section)) throw new KernelError('EINVAL', `link fault on section ${f.section}`);
    if (f.kind === 'flip') {
      const mask = f.mask ?? 0xff;
      if (bad(f.byte)) throw new KernelError('EINVAL', `link fault on byte ${f.byte}`);
      if (!(Number.isInteger(mask) && mask >= 1 && mask <= 0xff))
        throw new KernelError('EINVAL', `link fault mask ${mask} is not in 1..255`);
    } else if (bad(f.keep)) throw new KernelError('EINVAL', `link fault keeping ${f.keep} bytes`);
  }
}

/**
 * What arrives of `wire` (a section behind a `header`-byte link header) under `fault`: a changed copy,
 * or undefined if the fault does not reach these bytes.
 */
export function applyLinkFault(fault: LinkFault, wire: Uint8Array, header: number): Uint8Array | undefined {
  if (fault.kind === 'flip') {
    if (header + fault.byte >= wire.length) return undefined;
    const out = wire.slice();
    const at = header + fault.byte;
    out[at] = (out[at] as number) ^ (fault.mask ?? 0xff);
    return out;
  }
  if (fault.keep >= wire.length) return undefined;
  return wire.slice(0, fault.keep);
}
