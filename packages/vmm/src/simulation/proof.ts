import type { LiveMigrationReport } from '../report/migration-report.js';
import type { WorkloadTally } from '../workload/workload.js';
import type { UartPortTally } from './guest.js';

/** Guest RAM at the switch-over: source (stopped) against destination (not yet started). */
export interface RamProof {
  /** Pages compared: every page either side ever touched. */
  readonly pagesCompared: number;
  /** Page frame numbers whose contents differ, ascending. */
  readonly mismatchedPages: readonly number[];
  readonly identical: boolean;
}

/** What a migration proves: every job accounted for, and guest RAM moved intact. */
export interface MigrationProof {
  /** Every job of every workload, checked exactly once against an output computed without the device. */
  readonly jobs: WorkloadTally;
  /** Null when the migration never reached the switch-over (it was aborted). */
  readonly ram: RamProof | null;
  /**
   * Every mtty port of the guest, read until empty after the guest settled: each byte sent must have
   * come back exactly once, in order (empty for a guest without mtty).
   */
  readonly uart: readonly UartPortTally[];
}

/** The proof of a migration: the workloads' tally and, if it got that far, the RAM comparison. */
export function migrationProof(
  jobs: WorkloadTally,
  migration: LiveMigrationReport | null,
  uart: readonly UartPortTally[] = [],
): MigrationProof {
  const check = migration?.ram.check;
  return {
    jobs,
    uart,
    ram:
      check === undefined
        ? null
        : {
            pagesCompared: check.pagesCompared,
            mismatchedPages: check.mismatchedPages,
            identical: check.mismatchedPages.length === 0,
          },
  };
}

/**
 * Why a migration's proof does not hold, each reason in words (empty: PASS): jobs lost (silently, or
 * with their cause), completed twice, with a wrong output, unknown or unverified; serial bytes lost or
 * out of order; guest RAM differing at the switch-over; device state saved and
 * loaded in different amounts; a device not ending in STOP (source) / RUNNING (destination).
 */
export function proofFailures(proof: MigrationProof, migration: LiveMigrationReport | null): string[] {
  const failures: string[] = [];
  const t = proof.jobs;
  const ids = (xs: readonly number[]) => xs.join(', ');
  if (t.unattributed.length > 0)
    failures.push(`jobs lost silently (never completed, no cause): ${ids(t.unattributed)}`);
  for (const [kind, losses] of groupBy(t.losses, (l) => l.cause.kind))
    failures.push(
      `jobs lost to ${kind} (as upstream: ${losses[0]?.cause.upstream}): ${ids(losses.map((l) => l.jobId))}`,
    );
  if (t.duplicated.length > 0) failures.push(`jobs completed twice: ${ids(t.duplicated)}`);
  const badStatus = new Set(t.losses.map((l) => l.jobId));
  const wrong = t.corrupt.filter((id) => !badStatus.has(id));
  if (wrong.length > 0) failures.push(`jobs completed with a wrong output: ${ids(wrong)}`);
  if (t.unknown.length > 0) failures.push(`completions of unknown jobs: ${ids(t.unknown)}`);
  if (t.verified !== t.submitted) failures.push(`${t.verified} of ${t.submitted} jobs verified`);
  for (const p of proof.uart) {
    const port = `mtty (device ${p.device}) port ${p.port}`;
    if (p.firstMismatch >= 0)
      failures.push(`${port}: byte ${p.firstMismatch} read back differs from what was sent`);
    if (p.inFlight > 0) failures.push(`${port}: ${p.inFlight} of ${p.sent} bytes never came back`);
  }
  const ram = proof.ram;
  if (ram !== null && !ram.identical)
    failures.push(
      `guest RAM differs at the switch-over in ${ram.mismatchedPages.length} of ${ram.pagesCompared} pages (first pfn 0x${ram.mismatchedPages[0]?.toString(16)})`,
    );
  if (migration !== null) {
    if (migration.deviceBytesLoaded !== migration.deviceBytesSaved)
      failures.push(
        `device state: ${migration.deviceBytesSaved} bytes saved, ${migration.deviceBytesLoaded} loaded`,
      );
    const last = (steps: readonly { name: string }[]) => steps[steps.length - 1]?.name.toLowerCase();
    migration.devices.forEach((d, i) => {
      const which = migration.devices.length > 1 ? `device ${i} (${d.model}): ` : '';
      if (last(d.sourceStates) !== 'stop')
        failures.push(`${which}source device ended in ${last(d.sourceStates)}`);
      if (last(d.destinationStates) !== 'running')
        failures.push(`${which}destination device ended in ${last(d.destinationStates)}`);
    });
  }
  return failures;
}

/** `xs` grouped by `key`, groups in order of first appearance. */
function groupBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    const group = groups.get(k);
    if (group === undefined) groups.set(k, [x]);
    else group.push(x);
  }
  return groups;
}
