import { createCipheriv, createHash, createHmac } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { QM_EQE_SIZE, qm_cqe } from '../regs/contexts.js';
import { QM_MB_CMD_STOP_QP, qmMbBusy } from '../regs/mailbox.js';
import { QM_MB_CMD_SEND_BASE } from '../regs/registers.js';
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
import {
  bytes,
  DEPTH,
  eqe,
  layout,
  makeDevice,
  mbIssue,
  putSqe,
  ringSq,
  startFunction,
} from './__fixtures__/qm-setup.js';
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

describe('a stopped queue writes nothing more (STOP_QP, then qm_clear_queues)', () => {
  /** Submit one deflate job of `srcLen` bytes on qn 0, slot 0; returns where its results would land. */
  function submit(r: ReturnType<typeof rig>, srcLen: number) {
    const D = r.L.data;
    r.mem.write(D, new Uint8Array(srcLen).fill(0x5a));
    const dst = D + 0x400000;
    const sqeAt = putSqe(r.mem, VF0, 0, 0, {
      opcode: QM_SQE_OP_ZIP_DEFLATE,
      src_addr: BigInt(D),
      src_len: srcLen,
      dst_addr: BigInt(dst),
      dst_len: 0x20000,
      tag: 0x55,
    });
    ringSq(r.vf.bar2, 0, 1);
    return { sqeAt, dst };
  }

  /** STOP_QP on qn 0 and wait for the mailbox (the job stays in the engine), then clear the rings. */
  function stopAndClear(r: ReturnType<typeof rig>): void {
    mbIssue(r.vf.bar2, QM_MB_CMD_STOP_QP, 0, 0);
    r.clock.udelay(r.dev.latencies.mailboxUs);
    expect(qmMbBusy(r.vf.bar2.readl(QM_MB_CMD_SEND_BASE))).toBe(false);
    expect(r.vf.queueFor(0)!.busy).toBe(true);
    r.mem.write(r.L.sq(0), new Uint8Array(DEPTH * 128));
    r.mem.write(r.L.cq(0), new Uint8Array(DEPTH * 16));
    r.mem.write(r.L.eq, new Uint8Array(DEPTH * QM_EQE_SIZE));
  }

  /** Nothing of the abandoned job is in memory: no output, SQE status/out_len, CQE or EQE. */
  function expectNothingLanded(r: ReturnType<typeof rig>, at: { sqeAt: number; dst: number }): void {
    expect(bytes(r.mem, at.dst, 64).every((b) => b === 0)).toBe(true);
    expect(bytes(r.mem, at.sqeAt, 128).every((b) => b === 0)).toBe(true);
    expect(bytes(r.mem, r.L.cq(0), 16).every((b) => b === 0)).toBe(true);
    expect(eqe(r.mem, VF0, 0)).toBe(0);
  }

  it('a job in the engine when STOP_QP completes writes nothing and raises no EQ interrupt', () => {
    const r = rig('zip');
    const at = submit(r, 10 * 1024);
    stopAndClear(r);
    r.irqs.length = 0;
    r.clock.runUntilIdle();
    expectNothingLanded(r, at);
    expect(r.irqs).not.toContain(QM_EQ_EVENT_IRQ_VECTOR);
    const q = r.vf.queueFor(0)!;
    expect({ busy: q.busy, cqTail: q.cqTail, eqTail: r.vf.eq.tail, inFlight: r.vf.inFlight }).toEqual({
      busy: false,
      cqTail: 0,
      eqTail: 0,
      inFlight: 0,
    });
  });

  it('nor on the queue started again before the job ends: the next job completes at CQE 0, EQE 0', () => {
    const r = rig('zip');
    const at = submit(r, 3 << 20);
    stopAndClear(r);
    startFunction(r.clock, r.mem, r.vf, VF0, 4); // qm_restart: EQC/AEQC/BTs, then SQC/CQC with tails 0
    expect(r.vf.queueFor(0)!.busy).toBe(true);
    r.clock.runUntilIdle();
    expectNothingLanded(r, at);
    const res = run(r, { opcode: QM_SQE_OP_ZIP_DEFLATE, src: new Uint8Array(64).fill(1) });
    expect(res.status).toBe(QM_SQE_STATUS_OK);
    expect(res.cqe).toMatchObject({ cmd_id: 0x77, sq_head: 0, sq_num: 0, w7: 1 });
    expect(eqe(r.mem, VF0, 0)).toBe(1 << 16);
    expect(r.vf.eq.tail).toBe(1);
  });
});
