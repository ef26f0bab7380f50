/**
 * The byte-level primitives the ZIP and SEC engines run on. Two implementations give byte-identical
 * results (a property test compares them): Node's built-ins (`node-engine-backend.ts`, the package's
 * default build) and pure JavaScript for browsers (`js-engine-backend.ts`, selected by the `browser`
 * export condition through `platform-engine-backend.browser.ts`). Every call is synchronous, as the
 * engine model is: a job's output exists when its completion is scheduled.
 *
 * Kernel counterpart: none — these stand in for the silicon behind hisi_zip and hisi_sec2.
 */
export interface QmEngineBackend {
  /** Raw deflate (no zlib header), zlib's defaults: level 6, 32 KiB window, memLevel 8. */
  deflateRaw(src: Uint8Array): Uint8Array;
  /**
   * Raw inflate of one complete stream (bytes after its end are ignored). Output is produced in 16 KiB
   * chunks; once the output so far exceeds `maxOutputLength` at a chunk's end it throws `RangeError`.
   * A corrupt or truncated stream throws any other error — a corruption is reported before the size
   * of the chunk it occurs in is checked.
   */
  inflateRaw(src: Uint8Array, maxOutputLength: number): Uint8Array;
  /** AES-128-CBC with PKCS#7 padding; a bad length or padding on decryption throws. */
  aes128Cbc(encrypt: boolean, key: Uint8Array, iv: Uint8Array, src: Uint8Array): Uint8Array;
  /** SHA-256 of `src` (32 bytes). */
  sha256(src: Uint8Array): Uint8Array;
  /** HMAC-SHA-256 of `src` under `key` (32 bytes). */
  hmacSha256(key: Uint8Array, src: Uint8Array): Uint8Array;
}
