import { Prng } from '@vfio-sim/platform';
import { QM_SQE_OP_HPRE_MODEXP, QM_SQE_STATUS_OK, runEngineJob } from '@vfio-sim/qm-hw';
import { describe, expect, it } from 'vitest';
import { hpreJobs } from './hpre-jobs.js';

const draw = (seed: number, n: number) => {
  const prng = new Prng(seed);
  const jobs = hpreJobs();
  return Array.from({ length: n }, () => jobs.next(prng));
};

describe('hpreJobs', () => {
  it('draws seeded modexp jobs: odd moduli of 64 or 128 bytes with the top bit set, e = 65537 or full length', () => {
    const a = draw(3, 20);
    expect(a).toEqual(draw(3, 20));
    expect(new Set(a.map((j) => j.iv!.length))).toEqual(new Set([64, 128]));
    expect(new Set(a.map((j) => j.key!.length === 3))).toEqual(new Set([true, false]));
    for (const j of a) {
      const m = j.iv!;
      expect(j.opcode).toBe(QM_SQE_OP_HPRE_MODEXP);
      expect(m[0]! & 0x80).toBe(0x80);
      expect(m[m.length - 1]! & 1).toBe(1);
      expect(j.input.length).toBe(m.length);
    }
  });

  it('expects base^e mod m, big-endian and padded to the modulus (4^13 mod 497 = 445)', () => {
    const out = hpreJobs().expected({
      opcode: QM_SQE_OP_HPRE_MODEXP,
      input: Uint8Array.of(4),
      key: Uint8Array.of(13),
      iv: Uint8Array.of(0x01, 0xf1),
    });
    expect([...out]).toEqual([0x01, 0xbd]);
  });

  it('expects what the HPRE engine computes', () => {
    const jobs = hpreJobs();
    for (const j of draw(6, 12)) {
      const hw = runEngineJob('hpre', {
        opcode: j.opcode,
        src: j.input,
        key: j.key!,
        iv: j.iv!,
        dstLen: 0x1_0000,
      });
      expect(hw.status).toBe(QM_SQE_STATUS_OK);
      expect([...hw.out!]).toEqual([...jobs.expected(j)]);
    }
  });
});
