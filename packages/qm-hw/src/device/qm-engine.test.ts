import { createCipheriv, createHash, createHmac } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { QM_EQE_SIZE, qm_cqe } from '../regs/contexts.js';
import {
  QM_SQE_OP_HPRE_MODEXP,
  QM_SQE_OP_SEC_AES_CBC_DEC,
  QM_SQE_OP_SEC_AES_CBC_ENC,
  QM_SQE_OP_SEC_HMAC_SHA256,
  QM_SQE_OP_SEC_SHA256,
  QM_SQE_OP_ZIP_DEFLATE,
  QM_SQE_OP_ZIP_INFLATE,
  QM_SQE_STATUS_BAD_INPUT,
  QM_SQE_STATUS_BAD_OPCODE,
  QM_SQE_STATUS_DMA_FAULT,
  QM_SQE_STATUS_DST_TOO_SMALL,
  QM_SQE_STATUS_OK,
  qm_sqe,
} from '../regs/sqe.js';
import { QM_EQ_EVENT_IRQ_VECTOR, type QmKind } from '../regs/versions.js';
import { bytes, eqe, layout, makeDevice, putSqe, ringSq, startFunction } from './__fixtures__/qm-setup.js';
import { modPow, runEngineJob } from './engines.js';

const VF0 = 0x100_0000;

function rig(kind: QmKind) {
  const r = makeDevice(kind);
  const vf = r.vfs[0]!;
  startFunction(r.clock, r.mem, vf, VF0, 4);
  const irqs: number[] = [];
  vf.setInterruptHandler((v) => irqs.push(v));
  return { ...r, vf, irqs, L: layout(VF0) };
}

interface Job {
  opcode: number;
  src?: Uint8Array;
  key?: Uint8Array;
  iv?: Uint8Array;
  dstLen?: number;
}

/** Submit one job on qn 0 slot `slot` and run to completion; returns status, output, CQE. */
function run(r: ReturnType<typeof rig>, job: Job, slot = 0) {
  const D = r.L.data + slot * 0x40000;
  const src = job.src ?? new Uint8Array(0);
  const key = job.key ?? new Uint8Array(0);
  const iv = job.iv ?? new Uint8Array(0);
  r.mem.write(D, src);
  r.mem.write(D + 0x10000, key);
  r.mem.write(D + 0x11000, iv);
  const dstLen = job.dstLen ?? 0x20000;
  const at = putSqe(r.mem, VF0, 0, slot, {
    opcode: job.opcode,
    src_addr: BigInt(D),
    src_len: src.length,
    key_addr: BigInt(D + 0x10000),
    key_len: key.length,
    iv_addr: BigInt(D + 0x11000),
    iv_len: iv.length,
    dst_addr: BigInt(D + 0x12000),
    dst_len: dstLen,
    tag: 0x77 + slot,
  });
  ringSq(r.vf.bar2, 0, slot + 1);
  r.clock.runUntilIdle();
  const sqe = qm_sqe.decode(bytes(r.mem, at, 128));
  const cqe = qm_cqe.decode(bytes(r.mem, r.L.cq(0) + slot * 16, 16));
  return { status: sqe.status, out: bytes(r.mem, D + 0x12000, sqe.out_len), cqe };
}

describe('engines through SQ → engine → CQ → EQ', () => {
  it('ZIP deflate equals node:zlib deflateRawSync and completes with CQE, EQE and the EQ interrupt', () => {
    const r = rig('zip');
    const data = new Uint8Array(10000).map((_, i) => (i * 7) % 13);
    const res = run(r, { opcode: QM_SQE_OP_ZIP_DEFLATE, src: data });
    expect(res.status).toBe(QM_SQE_STATUS_OK);
    expect(Buffer.from(res.out)).toEqual(deflateRawSync(data));
    expect(res.cqe).toMatchObject({ rsvd0: 0, cmd_id: 0x77, sq_head: 0, sq_num: 0, w7: 1 });
    expect(eqe(r.mem, VF0, 0)).toBe(0 | (1 << 16));
    expect(r.irqs).toEqual([QM_EQ_EVENT_IRQ_VECTOR]);
    expect(r.vf.eq.tail).toBe(1);
    // inflate back
    const back = run(r, { opcode: QM_SQE_OP_ZIP_INFLATE, src: res.out }, 1);
    expect(back.status).toBe(QM_SQE_STATUS_OK);
    expect(back.out).toEqual(data);
  });

  it('ZIP errors become statuses, not throws', () => {
    const r = rig('zip');
    expect(run(r, { opcode: QM_SQE_OP_ZIP_INFLATE, src: Uint8Array.of(0xff, 0xff, 0xff) }).status).toBe(
      QM_SQE_STATUS_BAD_INPUT,
    );
    const big = deflateRawSync(new Uint8Array(5000));
    expect(run(r, { opcode: QM_SQE_OP_ZIP_INFLATE, src: big, dstLen: 100 }, 1).status).toBe(
      QM_SQE_STATUS_DST_TOO_SMALL,
    );
    expect(run(r, { opcode: QM_SQE_OP_SEC_SHA256 }, 2).status).toBe(QM_SQE_STATUS_BAD_OPCODE);
    const c = run(r, { opcode: QM_SQE_OP_ZIP_DEFLATE, src: new Uint8Array(3000), dstLen: 2 }, 3);
    expect(c.status).toBe(QM_SQE_STATUS_DST_TOO_SMALL);
    expect(c.cqe.rsvd0).toBe(QM_SQE_STATUS_DST_TOO_SMALL);
  });

  it('SEC AES-128-CBC, SHA-256 and HMAC equal node:crypto', () => {
    const r = rig('sec');
    const key = new Uint8Array(16).map((_, i) => i + 1);
    const iv = new Uint8Array(16).map((_, i) => 0xa0 + i);
    const pt = new TextEncoder().encode('migrate me, bit for bit, across two hosts');
    const c = createCipheriv('aes-128-cbc', key, iv);
    const expected = Buffer.concat([c.update(pt), c.final()]);
    const enc = run(r, { opcode: QM_SQE_OP_SEC_AES_CBC_ENC, src: pt, key, iv });
    expect(Buffer.from(enc.out)).toEqual(expected);
    const dec = run(r, { opcode: QM_SQE_OP_SEC_AES_CBC_DEC, src: enc.out, key, iv }, 1);
    expect(dec.out).toEqual(pt);
    expect(Buffer.from(run(r, { opcode: QM_SQE_OP_SEC_SHA256, src: pt }, 2).out)).toEqual(
      createHash('sha256').update(pt).digest(),
    );
    expect(Buffer.from(run(r, { opcode: QM_SQE_OP_SEC_HMAC_SHA256, src: pt, key }, 3).out)).toEqual(
      createHmac('sha256', key).update(pt).digest(),
    );
    expect(
      run(r, { opcode: QM_SQE_OP_SEC_AES_CBC_ENC, src: pt, key: key.subarray(0, 5), iv }, 4).status,
    ).toBe(QM_SQE_STATUS_BAD_INPUT);
    expect(run(r, { opcode: QM_SQE_OP_SEC_AES_CBC_DEC, src: pt.subarray(0, 16), key, iv }, 5).status).toBe(
      QM_SQE_STATUS_BAD_INPUT,
    );
  });

  it('HPRE modular exponentiation equals bigint arithmetic', () => {
    const r = rig('hpre');
    const be = (n: bigint, len: number) =>
      Uint8Array.from(Buffer.from(n.toString(16).padStart(len * 2, '0'), 'hex'));
    const m = 0xc5a3_9f1d_7e23_0b47n;
    const res = run(r, {
      opcode: QM_SQE_OP_HPRE_MODEXP,
      src: be(12345n, 8),
      key: be(65537n, 4),
      iv: be(m, 8),
    });
    expect(res.status).toBe(QM_SQE_STATUS_OK);
    expect(res.out).toEqual(be(modPow(12345n, 65537n, m), 8));
    expect(modPow(4n, 13n, 497n)).toBe(445n);
    expect(
      run(r, { opcode: QM_SQE_OP_HPRE_MODEXP, src: be(1n, 1), key: be(1n, 1), iv: be(0n, 1) }, 1).status,
    ).toBe(QM_SQE_STATUS_BAD_INPUT);
    expect(
      run(r, { opcode: QM_SQE_OP_HPRE_MODEXP, src: be(2n, 1), key: be(1n, 1), iv: be(m, 8), dstLen: 4 }, 2)
        .status,
    ).toBe(QM_SQE_STATUS_DST_TOO_SMALL);
  });

  it('a DMA fault on the source buffer completes the job with a DMA-fault status', () => {
    const r = rig('zip');
    r.vf.faults.inject({ kind: 'dma-fault', iova: r.L.data, length: 1 });
    expect(run(r, { opcode: QM_SQE_OP_ZIP_DEFLATE, src: new Uint8Array(10) }).status).toBe(
      QM_SQE_STATUS_DMA_FAULT,
    );
  });

  it('runEngineJob is pure and never throws on garbage', () => {
    for (const kind of ['zip', 'sec', 'hpre'] as const) {
      for (let op = 0; op < 0x30; op++) {
        const r = runEngineJob(kind, {
          opcode: op,
          src: Uint8Array.of(1, 2, 3),
          key: new Uint8Array(3),
          iv: new Uint8Array(3),
          dstLen: 64,
        });
        expect(typeof r.status).toBe('number');
      }
    }
  });

  it('EQE indices advance and wrap the phase', () => {
    const r = rig('zip');
    for (let i = 0; i < 3; i++) run(r, { opcode: QM_SQE_OP_ZIP_DEFLATE, src: new Uint8Array(8) }, i);
    expect([0, 1, 2].map((i) => eqe(r.mem, VF0, i))).toEqual([1 << 16, 1 << 16, 1 << 16]);
    expect(r.mem.readU32(r.L.eq + 3 * QM_EQE_SIZE)).toBe(0);
  });
});
