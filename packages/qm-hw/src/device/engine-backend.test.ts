import { createCipheriv } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  QM_SQE_OP_SEC_AES_CBC_DEC,
  QM_SQE_OP_SEC_AES_CBC_ENC,
  QM_SQE_OP_SEC_HMAC_SHA256,
  QM_SQE_OP_SEC_SHA256,
  QM_SQE_OP_ZIP_DEFLATE,
  QM_SQE_OP_ZIP_INFLATE,
  QM_SQE_STATUS_BAD_INPUT,
  QM_SQE_STATUS_DST_TOO_SMALL,
  QM_SQE_STATUS_OK,
} from '../regs/sqe.js';
import type { QmKind } from '../regs/versions.js';
import { bytesToHex, hexToBytes } from './bytes-hex.js';
import { type QmJobInput, runEngineJobOn } from './engines.js';
import { jsEngineBackend } from './js-engine-backend.js';
import { nodeEngineBackend } from './node-engine-backend.js';

/** A job's result as comparable text: status and the output's bytes. */
function onBoth(kind: QmKind, job: QmJobInput) {
  const show = (r: { status: number; out: Uint8Array | undefined }) => ({
    status: r.status,
    out: r.out === undefined ? undefined : bytesToHex(r.out),
  });
  return {
    node: show(runEngineJobOn(nodeEngineBackend, kind, job)),
    js: show(runEngineJobOn(jsEngineBackend, kind, job)),
  };
}

/** Data that compresses like real payloads: runs, repeats and noise, up to 80 KiB (several 16 KiB chunks). */
const payload = fc
  .array(
    fc.oneof(
      fc.uint8Array({ maxLength: 2048 }),
      fc
        .record({ byte: fc.integer({ min: 0, max: 255 }), n: fc.integer({ min: 1, max: 20_000 }) })
        .map(({ byte, n }) => new Uint8Array(n).fill(byte)),
      fc.string({ maxLength: 200 }).map((s) => new TextEncoder().encode(s.repeat(40))),
    ),
    { maxLength: 8 },
  )
  .map((parts) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out.subarray(0, 80 * 1024);
  });

const bytes16 = fc.uint8Array({ minLength: 16, maxLength: 16 });

describe('the browser build’s engine primitives give Node’s results byte for byte', () => {
  test.prop([payload, fc.nat(100_000)], { numRuns: 60 })('ZIP deflate', (src, dstLen) => {
    const r = onBoth('zip', {
      opcode: QM_SQE_OP_ZIP_DEFLATE,
      src,
      key: new Uint8Array(0),
      iv: new Uint8Array(0),
      dstLen,
    });
    expect(r.js).toEqual(r.node);
  });

  /** A raw deflate stream, then maybe damaged: truncated, a byte flipped, trailing bytes, or plain noise. */
  const inflateInput = fc
    .tuple(
      payload,
      fc.constantFrom('whole', 'truncated', 'flipped', 'trailing', 'noise'),
      fc.nat(),
      fc.uint8Array({ minLength: 1, maxLength: 64 }),
    )
    .map(([data, damage, at, extra]) => {
      const stream = new Uint8Array(deflateRawSync(data));
      switch (damage) {
        case 'whole':
          return stream;
        case 'truncated':
          return stream.subarray(0, at % stream.length);
        case 'flipped': {
          const s = stream.slice();
          s[at % s.length]! ^= 1 << (at % 8);
          return s;
        }
        case 'trailing':
          return Uint8Array.from([...stream, ...extra]);
        default:
          return extra;
      }
    });

  test.prop([inflateInput, fc.oneof(fc.nat(100_000), fc.integer({ min: 16_380, max: 16_390 }))], {
    numRuns: 300,
  })('ZIP inflate, also of damaged streams and into small buffers', (src, dstLen) => {
    const r = onBoth('zip', {
      opcode: QM_SQE_OP_ZIP_INFLATE,
      src,
      key: new Uint8Array(0),
      iv: new Uint8Array(0),
      dstLen,
    });
    expect(r.js).toEqual(r.node);
  });

  test.prop([fc.uint8Array({ maxLength: 300 }), bytes16, bytes16, fc.nat(400)], { numRuns: 200 })(
    'SEC AES-128-CBC encrypt, and decrypt of good and damaged ciphertext',
    (src, key, iv, dstLen) => {
      const enc = onBoth('sec', { opcode: QM_SQE_OP_SEC_AES_CBC_ENC, src, key, iv, dstLen });
      expect(enc.js).toEqual(enc.node);
      const cipher = createCipheriv('aes-128-cbc', key, iv);
      const good = new Uint8Array([...cipher.update(src), ...cipher.final()]);
      for (const c of [good, src, good.subarray(0, good.length - 16)]) {
        const dec = onBoth('sec', { opcode: QM_SQE_OP_SEC_AES_CBC_DEC, src: c, key, iv, dstLen: 400 });
        expect(dec.js).toEqual(dec.node);
      }
    },
  );

  test.prop([fc.uint8Array({ maxLength: 5000 }), fc.uint8Array({ maxLength: 100 }), fc.nat(40)], {
    numRuns: 100,
  })('SEC SHA-256 and HMAC-SHA-256', (src, key, dstLen) => {
    for (const opcode of [QM_SQE_OP_SEC_SHA256, QM_SQE_OP_SEC_HMAC_SHA256]) {
      const r = onBoth('sec', { opcode, src, key, iv: new Uint8Array(0), dstLen });
      expect(r.js).toEqual(r.node);
    }
  });

  it('covers every outcome the engines report (the properties are not vacuous)', () => {
    const none = new Uint8Array(0);
    const data = new Uint8Array(40_000).fill(7);
    const stream = new Uint8Array(deflateRawSync(data));
    const cases: Array<[QmJobInput, number]> = [
      [{ opcode: QM_SQE_OP_ZIP_INFLATE, src: stream, key: none, iv: none, dstLen: 40_000 }, QM_SQE_STATUS_OK],
      [
        { opcode: QM_SQE_OP_ZIP_INFLATE, src: stream, key: none, iv: none, dstLen: 20_000 },
        QM_SQE_STATUS_DST_TOO_SMALL,
      ],
      [
        { opcode: QM_SQE_OP_ZIP_INFLATE, src: stream.subarray(0, 5), key: none, iv: none, dstLen: 40_000 },
        QM_SQE_STATUS_BAD_INPUT,
      ],
      [
        {
          opcode: QM_SQE_OP_SEC_AES_CBC_DEC,
          src: new Uint8Array(16),
          key: new Uint8Array(16),
          iv: new Uint8Array(16),
          dstLen: 64,
        },
        QM_SQE_STATUS_BAD_INPUT,
      ],
    ];
    for (const [job, status] of cases) {
      const r = onBoth('zip', job);
      const s = onBoth('sec', job);
      expect((job.opcode < 0x10 ? r : s).node.status).toBe(status);
      expect((job.opcode < 0x10 ? r : s).js).toEqual((job.opcode < 0x10 ? r : s).node);
    }
    expect(bytesToHex(hexToBytes('00ff10'))).toBe('00ff10');
  });
});
