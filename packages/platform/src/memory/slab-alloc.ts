/**
 * Memory for a slab of guest pages, not zero-filled: every page is overwritten (or zeroed) before it is
 * read. In Node `Buffer.allocUnsafeSlow` skips the zero-fill and the pool; the browser build
 * (`slab-alloc.browser.ts`) takes a plain zeroed `Uint8Array`.
 *
 * Kernel counterpart: none — where the model's RAM comes from.
 */
export function allocSlab(bytes: number): Uint8Array {
  return Buffer.allocUnsafeSlow(bytes);
}
