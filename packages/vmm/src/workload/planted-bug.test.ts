import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from '../simulation/migrate.js';
import { Simulation } from '../simulation/simulation.js';
import { plantBug, plantedBug } from './planted-bug.js';

function migrateOnce() {
  const sim = new Simulation({ seed: 3 });
  const source = sim.createHost({ name: 'source', numVfs: 1 });
  const destination = sim.createHost({ name: 'destination', numVfs: 1 });
  const guest = sim.createGuest({ host: source, memory: 16 << 20 });
  guest.startWorkload({ jobs: 4, periodUs: 20, limit: 6 });
  sim.run(50);
  return migrate(guest, { to: destination, protocol: 'v2', jobsAfter: 2 });
}

describe('the planted bug (test scaffolding for a bug hunter)', () => {
  afterEach(() => plantBug(undefined));

  it('is off by default: the migration passes', () => {
    expect(plantedBug()).toBeUndefined();
    expect(migrateOnce().verdict).toBe('pass');
  });

  it('drop-destination-completion: one job on the destination is lost with no cause (silent); off again, the same run passes', () => {
    plantBug('drop-destination-completion');
    const bad = migrateOnce();
    expect(bad.verdict).toBe('silent');
    expect(bad.proof.jobs.unattributed).toHaveLength(1);
    expect(bad.proof.jobs.losses).toEqual([]);
    plantBug(undefined);
    const good = migrateOnce();
    expect(good.verdict).toBe('pass');
    expect(good.proof.jobs.verified).toBe(bad.proof.jobs.verified + 1);
  });
});
