import { expect, it } from 'vitest';
import { runHostileSequences, runStreamCases } from '../__fixtures__/hostile/hostile-run.js';

/**
 * `pnpm soak`: the hostile-input properties of hostile-input.test.ts at scale — 1,000,000 stream cases
 * and 10,000 request sequences, each followed by a migration that must PASS. The seed is printed
 * (`VFIO_SIM_SEED=n` replays a run); the figures too.
 */
const SEED = Number(process.env.VFIO_SIM_SEED ?? Date.now() % 2 ** 31);
const SEQUENCES = Number(process.env.VFIO_SIM_SOAK_SEQUENCES ?? 10_000);
const STREAMS = Number(process.env.VFIO_SIM_SOAK_STREAMS ?? 1_000_000);

it('hostile input at scale', () => {
  process.stdout.write(`soak seed ${SEED}\n`);
  const t0 = performance.now();
  const streams = runStreamCases({ runs: STREAMS, seed: SEED, perWorld: 20_000 });
  const t1 = performance.now();
  const sequences = runHostileSequences({ runs: SEQUENCES, seed: SEED });
  const t2 = performance.now();
  const migrations = streams.migrations + sequences.migrations;
  process.stdout.write(
    `${[
      `soak (seed ${SEED}):`,
      `  stream cases  ${streams.cases} (${streams.rejected} refused with an errno, ${streams.errorState} of them left in ERROR until the reset; ${streams.loaded} loaded), ${((t1 - t0) / 1000).toFixed(0)} s`,
      `  sequences     ${sequences.sequences} (${sequences.requests} hostile requests, ${sequences.rejected} refused with an errno, state unchanged after every one), ${((t2 - t1) / 1000).toFixed(0)} s`,
      `  migrations    ${migrations}, every one PASS (${streams.migrations} into an abused VF, ${sequences.migrations} after a sequence)`,
    ].join('\n')}\n`,
  );
  expect(streams.cases).toBe(STREAMS);
  expect(sequences.sequences).toBe(SEQUENCES);
});
