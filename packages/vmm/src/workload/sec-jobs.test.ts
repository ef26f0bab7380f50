import { createDecipheriv } from 'node:crypto';
import { errnoOf, Prng } from '@vfio-sim/platform';
import {
  QM_SQE_OP_SEC_AES_CBC_ENC,
  QM_SQE_OP_SEC_HMAC_SHA256,
  QM_SQE_OP_SEC_SHA256,
  QM_SQE_STATUS_OK,
  runEngineJob,
} from '@vfio-sim/qm-hw';
import { describe, expect, it } from 'vitest';
import { secJobs } from './sec-jobs.js';

const draw = (seed: number, n: number) => {
  const prng = new Prng(seed);
  const jobs = secJobs();
  return Array.from({ length: n }, () => jobs.next(prng));
};

describe('secJobs', () => {
  it('draws a seeded mix of AES-128-CBC encrypt, SHA-256 and HMAC-SHA-256 jobs', () => {
    const a = draw(4, 30);
    expect(a).toEqual(draw(4, 30));
    expect(new Set(a.map((j) => j.opcode))).toEqual(
      new Set([QM_SQE_OP_SEC_AES_CBC_ENC, QM_SQE_OP_SEC_SHA256, QM_SQE_OP_SEC_HMAC_SHA256]),
    );
    for (const j of a) {
      expect(j.input.length).toBeGreaterThanOrEqual(64);
      expect(j.input.length).toBeLessThanOrEqual(8192);
      if (j.opcode === QM_SQE_OP_SEC_AES_CBC_ENC) expect([j.key?.length, j.iv?.length]).toEqual([16, 16]);
      if (j.opcode === QM_SQE_OP_SEC_SHA256) expect([j.key, j.iv]).toEqual([undefined, undefined]);
      if (j.opcode === QM_SQE_OP_SEC_HMAC_SHA256) expect(j.key!.length).toBeGreaterThanOrEqual(16);
    }
  });

  it('expects what the SEC engine computes; the ciphertext decrypts back to the input', () => {
    const jobs = secJobs();
    for (const j of draw(8, 24)) {
      const expected = jobs.expected(j);
      const hw = runEngineJob('sec', {
        opcode: j.opcode,
        src: j.input,
        key: j.key ?? new Uint8Array(0),
        iv: j.iv ?? new Uint8Array(0),
        dstLen: 0x1_0000,
      });
      expect(hw.status).toBe(QM_SQE_STATUS_OK);
      expect(Buffer.from(hw.out!).equals(expected)).toBe(true);
      if (j.opcode === QM_SQE_OP_SEC_AES_CBC_ENC) {
        expect(expected.length).toBe((Math.floor(j.input.length / 16) + 1) * 16); // PKCS#7
        const d = createDecipheriv('aes-128-cbc', j.key!, j.iv!);
        expect(Buffer.concat([d.update(expected), d.final()]).equals(j.input)).toBe(true);
      } else expect(expected.length).toBe(32);
    }
  });

  it('HMAC-SHA-256 matches RFC 4231 test case 2', () => {
    const enc = new TextEncoder();
    const out = secJobs().expected({
      opcode: QM_SQE_OP_SEC_HMAC_SHA256,
      input: enc.encode('what do ya want for nothing?'),
      key: enc.encode('Jefe'),
    });
    expect(Buffer.from(out).toString('hex')).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  it('expected() rejects an opcode it never draws (EINVAL)', () => {
    expect(errnoOf(() => secJobs().expected({ opcode: 0x11, input: new Uint8Array(16) }))).toBe('EINVAL');
  });

  it('rejects an empty size range (EINVAL)', () => {
    expect(errnoOf(() => secJobs({ minBytes: 10, maxBytes: 5 }))).toBe('EINVAL');
    expect(errnoOf(() => secJobs({ minBytes: 0 }))).toBe('EINVAL');
  });
});
