/** Types of the CRC-32C module of `crc-32` (SheetJS), which ships types for its CRC-32 module only. */
declare module 'crc-32/crc32c.js' {
  const CRC32C: {
    /** CRC-32C (Castagnoli) of `data`, as a signed 32-bit integer; `seed` continues a running CRC. */
    buf(data: Uint8Array, seed?: number): number;
  };
  export default CRC32C;
}
