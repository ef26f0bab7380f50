import { createCipheriv, createDecipheriv, createHash, createHmac } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { QmEngineBackend } from './engine-backend.js';

/** The engine primitives on Node's built-ins: `node:zlib` and `node:crypto`. */
export const nodeEngineBackend: QmEngineBackend = {
  deflateRaw: (src) => deflateRawSync(src),
  inflateRaw: (src, maxOutputLength) => inflateRawSync(src, { maxOutputLength }),
  aes128Cbc(encrypt, key, iv, src) {
    const c = encrypt ? createCipheriv('aes-128-cbc', key, iv) : createDecipheriv('aes-128-cbc', key, iv);
    const head = c.update(src);
    const tail = c.final();
    if (tail.length === 0) return head;
    const out = new Uint8Array(head.length + tail.length);
    out.set(head, 0);
    out.set(tail, head.length);
    return out;
  },
  sha256: (src) => createHash('sha256').update(src).digest(),
  hmacSha256: (key, src) => createHmac('sha256', key).update(src).digest(),
};
