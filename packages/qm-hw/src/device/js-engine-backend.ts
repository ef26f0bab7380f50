import { cbc } from '@noble/ciphers/aes.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  deflateRaw,
  Z_BUF_ERROR,
  Z_FINISH,
  Z_OK,
  Z_STREAM_END,
  ZStream,
  zlibInflate,
  zlibInflateEnd,
  zlibInflateInit2,
} from 'pako';
import type { QmEngineBackend } from './engine-backend.js';

/** Node's zlib inflates into chunks of this size (`Z_DEFAULT_CHUNK`) and checks the total between them. */
const INFLATE_CHUNK = 16 * 1024;

/** Raw deflate: no zlib header (negative window bits), 32 KiB window. */
const RAW_WINDOW_BITS = -15;

/**
 * The engine primitives in pure JavaScript, for browsers: pako (a port of zlib, so deflate output is
 * zlib's byte for byte), @noble/hashes (SHA-256, HMAC) and @noble/ciphers (AES-CBC).
 */
export const jsEngineBackend: QmEngineBackend = {
  deflateRaw: (src) => deflateRaw(src),
  /**
   * zlib's inflate driven as Node's `inflateRawSync` drives it (lib/zlib.js `processChunkSync`,
   * src/node_zlib.cc `CheckError`): `inflate(Z_FINISH)` into one 16 KiB chunk at a time while chunks come
   * back full; after each call an error first (Z_OK or Z_BUF_ERROR with room left is "unexpected end of
   * file"), then the output-size limit.
   */
  inflateRaw(src, maxOutputLength) {
    const strm = new ZStream();
    zlibInflateInit2(strm, RAW_WINDOW_BITS);
    strm.input = src;
    strm.next_in = 0;
    strm.avail_in = src.length;
    const chunks: Uint8Array[] = [];
    let length = 0;
    try {
      for (;;) {
        strm.output = new Uint8Array(INFLATE_CHUNK);
        strm.next_out = 0;
        strm.avail_out = INFLATE_CHUNK;
        const status = zlibInflate(strm, Z_FINISH);
        if ((status === Z_OK || status === Z_BUF_ERROR) && strm.avail_out !== 0)
          throw new Error('inflate: unexpected end of file');
        if (status !== Z_OK && status !== Z_BUF_ERROR && status !== Z_STREAM_END)
          throw new Error(`inflate: ${strm.msg || `zlib status ${status}`}`);
        const produced = INFLATE_CHUNK - strm.avail_out;
        if (produced > 0) {
          chunks.push(strm.output.subarray(0, produced));
          length += produced;
          if (length > maxOutputLength)
            throw new RangeError(`inflated output exceeds ${maxOutputLength} bytes`);
        }
        if (strm.avail_out !== 0) return concatChunks(chunks, length);
      }
    } finally {
      zlibInflateEnd(strm);
    }
  },
  aes128Cbc: (encrypt, key, iv, src) => (encrypt ? cbc(key, iv).encrypt(src) : cbc(key, iv).decrypt(src)),
  sha256: (src) => sha256(src),
  hmacSha256: (key, src) => hmac(sha256, key, src),
};

function concatChunks(chunks: readonly Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
