import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  QM_CQC_VFT_VALID_LO,
  QM_DOORBELL_CMD_AEQ,
  QM_DOORBELL_CMD_CQ,
  QM_DOORBELL_CMD_SQ,
  QM_MB_CMD_PAUSE_QM,
  QM_MB_CMD_SQC_BT,
  QM_MB_CMD_SQC_VFT_V2,
  qm_aeqc,
  qm_cqc,
  qm_cqe,
  qm_eqc,
  qm_mailbox,
  qm_sqc,
  qm_sqe,
  qmCqcVftV1Encode,
  qmCqcVftV2Encode,
  qmDbV1,
  qmDbV1Decode,
  qmDbV2,
  qmDbV2Decode,
  qmMbBusy,
  qmMbEncode,
  qmMbStatus,
  qmMbWord0,
  qmMkCqcDw3V2,
  qmMkSqcDw3V2,
  qmMkSqcW13,
  qmSqcVftV1Encode,
  qmSqcVftV2Decode,
  qmSqcVftV2Encode,
  qmSqcVftValid,
} from './index.js';

/** The kernel's 64-bit expressions, in bigint, as the oracle. */
const join = (p: { lo: number; hi: number }) => (BigInt(p.hi) << 32n) | BigInt(p.lo);

describe('mailbox word 0', () => {
  it('sets busy, op and the queue as qm_mb_pre_init does', () => {
    expect(qmMbWord0(QM_MB_CMD_PAUSE_QM, 0, 0)).toBe(0x200e);
    expect(qmMbWord0(QM_MB_CMD_SQC_VFT_V2, 1, 0)).toBe(0x6006);
    expect(qmMbWord0(QM_MB_CMD_SQC_BT, true, 0xffff)).toBe(0xffff_6004);
    expect(qmMbWord0(0xff, 1, 0x1234)).toBe(0x1234_60ff);
  });

  it('encodes the whole 16-byte command little-endian', () => {
    const out = qmMbEncode(new Uint8Array(16), 0x2, 0, 7, 0xdead_beef, 0x1);
    const v = qm_mailbox.decode(out);
    expect(v).toEqual({ w0: 0x2002, queue_num: 7, base_l: 0xdead_beef, base_h: 1, rsvd: 0 });
  });

  it('reads status [12:9] and busy 13', () => {
    expect(qmMbStatus(0x1e00)).toBe(0xf);
    expect(qmMbStatus(0x2000 | (1 << 9))).toBe(1);
    expect(qmMbStatus(0xffff_e1ff)).toBe(0);
    expect(qmMbBusy(0x2000)).toBe(true);
    expect(qmMbBusy(0xdfff)).toBe(false);
  });
});

describe('doorbells', () => {
  it('V2 matches qm_db_v2 bit for bit (restart doorbell, boundaries)', () => {
    expect(qmDbV2(0, QM_DOORBELL_CMD_SQ, 0, 1)).toEqual({ lo: 0, hi: 0x0001_0000 });
    expect(qmDbV2(2047, QM_DOORBELL_CMD_CQ, 0xffff, 0xff)).toEqual({ lo: 0x17ff, hi: 0x00ff_ffff });
    expect(qmDbV2(0, QM_DOORBELL_CMD_AEQ, 5, 0)).toEqual({ lo: 0x3000, hi: 5 });
  });

  test.prop([
    fc.integer({ min: 0, max: 0xfff }),
    fc.integer({ min: 0, max: 0xf }),
    fc.integer({ min: 0, max: 0xffff }),
    fc.integer({ min: 0, max: 0xff }),
    fc.integer({ min: 0, max: 0xffff }),
  ])('V2 equals the kernel u64 expression and decodes back', (qn, cmd, index, prio, rand) => {
    const db = qmDbV2(qn, cmd, index, prio, rand);
    const kernel =
      BigInt(qn) |
      (BigInt(cmd) << 12n) |
      (BigInt(rand) << 16n) |
      (BigInt(index) << 32n) |
      (BigInt(prio) << 48n);
    expect(join(db)).toBe(kernel);
    expect(qmDbV2Decode(db.lo, db.hi)).toEqual({ qn, cmd, index, priority: prio, rand });
  });

  test.prop([
    fc.integer({ min: 0, max: 0xffff }),
    fc.integer({ min: 0, max: 0xff }),
    fc.integer({ min: 0, max: 0xffff }),
    fc.integer({ min: 0, max: 0xff }),
  ])('V1 equals the kernel u64 expression and decodes back', (qn, cmd, index, prio) => {
    const db = qmDbV1(qn, cmd, index, prio);
    const kernel = BigInt(qn) | (BigInt(cmd) << 16n) | (BigInt(index) << 32n) | (BigInt(prio) << 48n);
    expect(join(db)).toBe(kernel);
    expect(qmDbV1Decode(db.lo, db.hi)).toEqual({ qn, cmd, index, priority: prio, rand: 0 });
  });
});

describe('VFT', () => {
  test.prop([fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 1, max: 1024 })])(
    'V2 SQC VFT equals base<<28 | 1<<44 | (num-1)<<45 and round-trips',
    (base, num) => {
      const v = qmSqcVftV2Encode(base, num);
      expect(join(v)).toBe((BigInt(base) << 28n) | (1n << 44n) | (BigInt(num - 1) << 45n));
      expect(qmSqcVftV2Decode(v.lo, v.hi)).toEqual({ base, number: num });
      expect(qmSqcVftValid(v.hi)).toBe(true);
    },
  );

  it('boundaries and clear', () => {
    expect(qmSqcVftV2Encode(0, 1)).toEqual({ lo: 0, hi: 0x1000 });
    expect(qmSqcVftV2Encode(0xffff, 1024)).toEqual({ lo: 0xf000_0000, hi: 0x007f_ffff });
    expect(qmSqcVftV2Encode(5, 0)).toEqual({ lo: 0, hi: 0 });
    expect(qmSqcVftValid(0)).toBe(false);
    expect(qmCqcVftV2Encode(3)).toEqual({ lo: QM_CQC_VFT_VALID_LO, hi: 0 });
    expect(qmCqcVftV2Encode(0)).toEqual({ lo: 0, hi: 0 });
    expect(join(qmSqcVftV1Encode(0x123, 4))).toBe(
      (7n << 8n) | (5n << 12n) | (1n << 16n) | (1n << 44n) | (0x123n << 28n),
    );
    expect(join(qmCqcVftV1Encode(4))).toBe((7n << 8n) | (5n << 12n) | (1n << 16n) | (1n << 28n));
  });
});

describe('context layouts', () => {
  it('have the kernel sizes', () => {
    expect([qm_sqc.size, qm_cqc.size, qm_eqc.size, qm_aeqc.size, qm_cqe.size, qm_mailbox.size]).toEqual([
      32, 32, 28, 28, 16, 16,
    ]);
    expect(qm_sqc.offsetOf('cq_num')).toBe(24);
    expect(qm_cqc.offsetOf('dw6')).toBe(24);
    expect(qm_eqc.offsetOf('dw6')).toBe(24);
    expect(qm_cqe.offsetOf('w7')).toBe(14);
    expect(qm_sqe.size).toBe(128);
  });

  it('field macros', () => {
    expect(qmMkSqcDw3V2(128, 1024)).toBe(0x73ff);
    expect(qmMkCqcDw3V2(4, 1024)).toBe(0x43ff);
    expect(qmMkSqcW13(0, 1, 0x12)).toBe(0x0210);
  });
});
