import { describe, expect, it } from 'vitest';
import { runByteFlipCampaign } from './byte-flip-campaign.js';

const SEED = 11;
const CASES = 40;

describe('byte-flip campaign over real migrations', () => {
  it.each(['v1', 'v2'] as const)(
    '%s: with the section CRC and the device-bytes check on, no corrupted state is ever loaded',
    (protocol) => {
      const checked = runByteFlipCampaign({
        protocol,
        cases: CASES,
        seed: SEED,
        sectionCrc: true,
        checkDeviceBytes: true,
      });
      const unchecked = runByteFlipCampaign({
        protocol,
        cases: CASES,
        seed: SEED,
        sectionCrc: false,
        checkDeviceBytes: false,
      });
      process.stdout.write(
        `byte-flip campaign ${protocol} (seed ${SEED}): checks on ${checked.cases} cases, ${checked.wrongLoads} wrong loads; checks off ${unchecked.cases} cases, ${unchecked.wrongLoads} wrong loads\n`,
      );
      expect(checked).toEqual({
        cases: CASES,
        wrongLoads: 0,
        refusedAtLink: CASES,
        failedOtherwise: 0,
        missed: 0,
      });
      // the same corruptions without the checks do load wrong states: the campaign has teeth
      expect(unchecked.missed).toBe(0);
      expect(unchecked.wrongLoads).toBeGreaterThan(0);
      expect(unchecked.wrongLoads + unchecked.failedOtherwise).toBe(CASES);
    },
    120_000,
  );

  it('is seeded: the same options give the same figures', () => {
    const o = { protocol: 'v2', cases: 6, seed: 3, sectionCrc: false, checkDeviceBytes: false } as const;
    expect(runByteFlipCampaign(o)).toEqual(runByteFlipCampaign(o));
  });
});
