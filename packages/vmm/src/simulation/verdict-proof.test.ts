import { describe, expect, it } from 'vitest';
import { migrate } from './migrate.js';
import { Simulation } from './simulation.js';
import { verdictProblems } from './verdict-proof.js';

function migrated() {
  const sim = new Simulation({ seed: 4 });
  const source = sim.createHost({ name: 'source', numVfs: 1 });
  const destination = sim.createHost({ name: 'destination', numVfs: 1 });
  const guest = sim.createGuest({ host: source, memory: 16 << 20 });
  guest.startWorkload({ jobs: 3, periodUs: 0 });
  sim.run(20);
  const report = migrate(guest, { to: destination, protocol: 'v2', jobsAfter: 1 });
  return { report, guest, source, destination };
}

describe('verdictProblems', () => {
  it('a pass that holds has no problem', () => {
    const { report, guest, source, destination } = migrated();
    expect(report.verdict).toBe('pass');
    expect(verdictProblems(report, guest, source, destination)).toEqual([]);
  });

  it('names each claim the report does not prove', () => {
    const { report, guest, source, destination } = migrated();
    const jobs = { ...report.proof.jobs, verified: report.proof.jobs.verified - 1 };
    const unproven = { ...report, proof: { ...report.proof, jobs, ram: null } };
    // the guest is on the destination: for the claim "pass" the hosts given are swapped
    expect(verdictProblems(unproven, guest, destination, source)).toEqual([
      `pass with ${jobs.verified} of ${jobs.submitted} jobs verified`,
      'pass without identical RAM',
      'pass, but the guest is not on the destination',
    ]);
    const aborted = { ...report, verdict: 'aborted' as const, error: null };
    expect(verdictProblems(aborted, guest, source, destination)).toEqual([
      'aborted, but the guest does not run at the source',
      // the job after the migration went to the destination
      `aborted with ${report.proof.jobs.verified} of ${report.proof.jobs.submitted} jobs verified`,
      'aborted without an error',
    ]);
    const lossy = {
      ...report,
      verdict: 'attributed-loss' as const,
      proof: { ...report.proof, jobs: { ...report.proof.jobs, unattributed: [7] } },
    };
    expect(verdictProblems(lossy, guest, source, destination)).toEqual(['unattributed: 7']);
  });
});
