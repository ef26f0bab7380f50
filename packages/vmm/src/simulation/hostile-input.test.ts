import { describe, expect, it } from 'vitest';
import { runHostileSequences, runStreamCases } from '../__fixtures__/hostile/hostile-run.js';

/** fast-check's seed: fixed so `pnpm test` is reproducible; `VFIO_SIM_SEED=n` explores another. */
const SEED = Number(process.env.VFIO_SIM_SEED ?? 20_261_207);

describe('hostile input', () => {
  it('requests on the device fd, the v1 region, iommufd and a data fd fail with an errno only, change nothing, and the guest still migrates', () => {
    const f = runHostileSequences({ runs: 60, seed: SEED });
    process.stdout.write(
      `hostile requests (seed ${SEED}): ${f.sequences} sequences, ${f.requests} requests, ${f.rejected} refused with an errno, state unchanged after every one; ${f.migrations} migrations PASS\n`,
    );
    expect(f.sequences).toBe(60);
    expect(f.migrations).toBe(60);
    expect(f.rejected).toBeGreaterThan(f.requests / 2);
  }, 300_000);

  it('corrupted and truncated device-state streams fail with an errno only, a failed load leaves the VF as it was (or in ERROR), and the VF still takes a real migration', () => {
    const f = runStreamCases({ runs: 4000, seed: SEED, perWorld: 2000 });
    process.stdout.write(
      `hostile streams (seed ${SEED}): ${f.cases} cases, ${f.rejected} refused with an errno (${f.errorState} left in ERROR until the reset), ${f.loaded} loaded; ${f.migrations} migrations into the abused VF PASS\n`,
    );
    expect(f.cases).toBe(4000);
    expect(f.migrations).toBe(2);
    expect(f.rejected).toBeGreaterThan(0);
    expect(f.loaded).toBeGreaterThan(0);
  }, 300_000);
});
