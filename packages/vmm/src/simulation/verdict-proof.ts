import type { Host } from '../host/host.js';
import type { Guest } from './guest.js';
import type { MigrateReport } from './migrate.js';

/**
 * What a migration's verdict claims and its report (or the guest's placement) does not prove, each in
 * words (empty: the verdict holds): `pass` — every job verified, RAM identical, the guest on the
 * destination; `aborted` — the guest running at the source with an error reported and every job
 * verified, none submitted on the destination; `attributed-loss` — every loss names the upstream code
 * that loses the job the same way, and nothing is unattributed; `silent` — what the report lists as
 * silent.
 *
 * Kernel/VMM counterpart: none — the judge the fault matrix and `@vfio-sim/campaign` apply to every
 * migration they run.
 */
export function verdictProblems(r: MigrateReport, guest: Guest, source: Host, destination: Host): string[] {
  const t = r.proof.jobs;
  const problems = [...r.silent];
  if (r.verdict === 'pass') {
    if (t.verified !== t.submitted) problems.push(`pass with ${t.verified} of ${t.submitted} jobs verified`);
    if (!(r.proof.ram?.identical ?? false)) problems.push('pass without identical RAM');
    if (guest.host !== destination) problems.push('pass, but the guest is not on the destination');
  }
  if (r.verdict === 'aborted') {
    if (guest.host !== source || !guest.vm.isRunning)
      problems.push('aborted, but the guest does not run at the source');
    if (t.verified !== t.submitted || t.submittedOnDestination !== 0)
      problems.push(`aborted with ${t.verified} of ${t.submitted} jobs verified`);
    if (r.error === null) problems.push('aborted without an error');
  }
  if (r.verdict === 'attributed-loss') {
    for (const l of t.losses)
      if (l.cause.upstream === '') problems.push(`job ${l.jobId}: a loss without its upstream reference`);
    if (t.unattributed.length > 0) problems.push(`unattributed: ${t.unattributed.join(', ')}`);
  }
  return problems;
}
