import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { QM_CQC_VFT, QM_SQC_VFT } from '../regs/registers.js';
import { qmSqcVftV2Base, qmSqcVftV2Number, qmSqcVftValid } from '../regs/vft.js';
import { makeDevice, setVft } from './__fixtures__/qm-setup.js';
import { QM_MAX_FUNCTIONS } from './qm-vft.js';

type Op = { op: 'set'; fun: number; base: number; num: number } | { op: 'pf-flr' };

describe('QmVftTable', () => {
  // Model: the per-doorbell lookups (decoded once per VFT change) answer what decoding the raw VFT words
  // on the spot answers, after any sequence of VFT programming and PF resets.
  test.prop([
    fc.array(
      fc.oneof(
        fc.record({
          op: fc.constant('set' as const),
          fun: fc.integer({ min: 0, max: 5 }),
          base: fc.integer({ min: 0, max: 1000 }),
          num: fc.integer({ min: 0, max: 64 }),
        }),
        fc.constant({ op: 'pf-flr' as const }),
      ),
      { maxLength: 12 },
    ),
  ])('qpBase/qpNum equal the raw VFT decoded', (ops: Op[]) => {
    const { clock, dev } = makeDevice('zip', 4, 8);
    const vft = dev.vft;
    for (const o of ops) {
      if (o.op === 'set') setVft(clock, dev.pf, o.fun, o.base, o.num);
      else dev.pf.flr();
      for (let fun = -1; fun <= QM_MAX_FUNCTIONS; fun++) {
        const sqc = vft.raw(fun, QM_SQC_VFT);
        const cqc = vft.raw(fun, QM_CQC_VFT);
        const valid =
          fun >= 0 && fun < QM_MAX_FUNCTIONS && qmSqcVftValid(sqc.hi) && (cqc.lo !== 0 || cqc.hi !== 0);
        const base = qmSqcVftV2Base(sqc.lo, sqc.hi);
        const num = Math.min(qmSqcVftV2Number(sqc.hi), Math.max(0, dev.maxQpNum - base));
        expect(vft.qpBase(fun)).toBe(valid ? base : -1);
        expect(vft.qpNum(fun)).toBe(valid ? num : 0);
        expect(vft.range(fun)).toEqual(valid ? { base, number: num } : undefined);
      }
    }
  });
});
