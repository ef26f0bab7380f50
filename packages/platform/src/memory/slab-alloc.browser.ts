/**
 * Memory for a slab of guest pages in a browser build: a plain `Uint8Array` (zero-filled; browsers have
 * no uninitialised allocation). Node's build takes `slab-alloc.ts` in this file's place.
 */
export function allocSlab(bytes: number): Uint8Array {
  return new Uint8Array(bytes);
}
