import type { LiveMigrationReport } from '../report/migration-report.js';
import type { MigrationProof } from './proof.js';

/**
 * What a migration amounts to, for whoever relies on it:
 *
 * - `pass`: the guest migrated, every job verified exactly once, RAM identical, device bytes saved =
 *   loaded, the devices in their final states;
 * - `aborted`: the migration failed cleanly — the guest runs on at the source and every job (those
 *   submitted there afterwards too) verified;
 * - `attributed-loss`: jobs were lost or refused, each with its cause (a hardware error the guest was
 *   told about, a device reset by QEMU's recovery, a state loaded as "not started"), as upstream would
 *   lose them; nothing else is wrong;
 * - `silent`: something went wrong that nothing reports — see {@link MigrateVerdict.silent}.
 */
export type MigrateVerdictKind = 'pass' | 'aborted' | 'attributed-loss' | 'silent';

/** The verdict, and what makes it silent (empty unless `silent`). */
export interface MigrateVerdict {
  readonly kind: MigrateVerdictKind;
  /** Each thing that went wrong without a cause, in words. */
  readonly silent: readonly string[];
}

/** What {@link migrateVerdict} looks at. */
export interface VerdictInput {
  readonly outcome: 'migrated' | 'aborted';
  readonly migration: LiveMigrationReport | null;
  readonly proof: MigrationProof;
  /** Jobs the guest's application asked for after the migration and its driver refused (errno), if any. */
  readonly refusedAfter: string | null;
  /** Queue and device errors the guest's drivers reported during the migration and after. */
  readonly deviceErrors: number;
  /** Why the clock ended the guest's run after the migration (an event storm), or null. */
  readonly settleError?: string | null;
}

/**
 * Classify a migration ({@link MigrateVerdictKind}). Silent: a job never completed with no cause, a
 * job completed twice or with a wrong output under an OK status, a completion of an unknown job, jobs
 * refused afterwards with no device error reported, a run the clock ended (an event storm); and for a migrated guest: RAM that differs at the
 * switch-over, device bytes saved ≠ loaded, a device not ending in STOP (source) / RUNNING
 * (destination).
 *
 * VMM counterpart: none — QEMU reports `query-migrate`'s status; this is the test harness's judgment
 * of what the guest lost and whether anyone was told.
 */
export function migrateVerdict(input: VerdictInput): MigrateVerdict {
  const t = input.proof.jobs;
  const silent: string[] = [];
  const ids = (xs: readonly number[]) => xs.join(', ');
  if (t.unattributed.length > 0) silent.push(`jobs never completed, no cause: ${ids(t.unattributed)}`);
  if (t.duplicated.length > 0) silent.push(`jobs completed twice: ${ids(t.duplicated)}`);
  if (t.unknown.length > 0) silent.push(`completions of unknown jobs: ${ids(t.unknown)}`);
  const reported = new Set(t.losses.map((l) => l.jobId));
  const wrong = t.corrupt.filter((id) => !reported.has(id));
  if (wrong.length > 0) silent.push(`jobs completed with status OK and a wrong output: ${ids(wrong)}`);
  if (input.refusedAfter !== null && input.deviceErrors === 0 && t.losses.length === 0)
    silent.push(`jobs refused after the migration (${input.refusedAfter}) with no device error reported`);
  if (input.settleError != null) silent.push(`the guest's run ended: ${input.settleError}`);
  for (const p of input.proof.uart)
    if (p.inFlight > 0 || p.firstMismatch >= 0)
      silent.push(
        `mtty (device ${p.device}) port ${p.port}: ${p.inFlight} byte(s) never came back, first mismatch at ${p.firstMismatch}`,
      );
  const m = input.migration;
  if (input.outcome === 'migrated' && m !== null) {
    if (!(input.proof.ram?.identical ?? false)) silent.push('guest RAM differs at the switch-over');
    if (m.deviceBytesLoaded !== m.deviceBytesSaved)
      silent.push(`device state: ${m.deviceBytesSaved} bytes saved, ${m.deviceBytesLoaded} loaded`);
    const last = (steps: readonly { name: string }[]) => steps[steps.length - 1]?.name.toLowerCase();
    m.devices.forEach((d, i) => {
      if (last(d.sourceStates) !== 'stop' || last(d.destinationStates) !== 'running')
        silent.push(
          `device ${i}: source ended in ${last(d.sourceStates)}, destination in ${last(d.destinationStates)}`,
        );
    });
  }
  const lossy = t.losses.length > 0 || input.refusedAfter !== null;
  if (!lossy && silent.length === 0 && t.verified !== t.submitted)
    silent.push(`${t.verified} of ${t.submitted} jobs verified, none lost with a cause`);
  if (silent.length > 0) return { kind: 'silent', silent };
  if (lossy) return { kind: 'attributed-loss', silent };
  return { kind: input.outcome === 'aborted' ? 'aborted' : 'pass', silent };
}
