/** Lower-case hex digits of every byte value, built once. */
const HEX_OF_BYTE = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** The bytes as lower-case hex text, two digits per byte (what `Buffer#toString('hex')` gives, without Buffer). */
export function bytesToHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += HEX_OF_BYTE[b];
  return s;
}

/** The bytes of even-length hex text; the inverse of {@link bytesToHex}. */
export function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
