import { type GuestMemory, KernelError, PAGE_SIZE } from '@vfio-sim/platform';
import { PageBitmap } from '../../vm/page-bitmap.js';

/** What {@link compareGuestMemory} found. */
export interface GuestMemoryComparison {
  /** Pages compared: every page either side ever touched. */
  readonly pagesCompared: number;
  /** Page frame numbers whose contents differ, ascending. */
  readonly mismatchedPages: readonly number[];
}

/** Pages compared at once: 2 MiB, one memcmp per run piece. */
const COMPARE_PAGES = 512;

/** The runtime's memcmp (Node's `Buffer.compare`), if it has one; a browser has none. */
const NodeBuffer = (globalThis as { Buffer?: typeof Buffer }).Buffer;

/** Whether bytes `[from, to)` of `a` and `b` are equal (allocates nothing). */
type RangeEqual = (from: number, to: number) => boolean;

/** {@link RangeEqual} over two buffers of the same length: memcmp where the runtime has it, else words. */
function rangeEqual(a: Uint8Array, b: Uint8Array): RangeEqual {
  if (NodeBuffer !== undefined) {
    const x = NodeBuffer.from(a.buffer, a.byteOffset, a.byteLength);
    const y = NodeBuffer.from(b.buffer, b.byteOffset, b.byteLength);
    return (from, to) => x.compare(y, from, to, from, to) === 0;
  }
  const x = new Int32Array(a.buffer, a.byteOffset, a.byteLength >>> 2);
  const y = new Int32Array(b.buffer, b.byteOffset, b.byteLength >>> 2);
  return (from, to) => {
    for (let i = from >>> 2; i < to >>> 2; i++) if (x[i] !== y[i]) return false;
    return true;
  };
}

/** The two 2 MiB buffers every comparison reads into (allocated once: a comparison allocates nothing big). */
const scratch = (() => {
  const pa = new Uint8Array(COMPARE_PAGES * PAGE_SIZE);
  const pb = new Uint8Array(COMPARE_PAGES * PAGE_SIZE);
  return { pa, pb, equal: rangeEqual(pa, pb) };
})();

/**
 * Compare two guest memories page by page over every page either of them touched (an untouched page
 * reads as zeros). The harness's proof that a migration moved guest RAM intact: called at the
 * switch-over, with the source stopped and the destination not yet started. Runs of touched pages are
 * read 2 MiB at a time on both sides and compared at once (memcmp in Node, 32-bit words elsewhere);
 * only a piece that differs is compared page by page.
 *
 * Kernel/VMM counterpart: none — a test oracle (like comparing guest RAM dumps of both sides).
 * @throws KernelError EINVAL if the sizes differ.
 */
export function compareGuestMemory(a: GuestMemory, b: GuestMemory): GuestMemoryComparison {
  if (a.size !== b.size) throw new KernelError('EINVAL', `guest RAM sizes differ: ${a.size} vs ${b.size}`);
  const touched = new PageBitmap(a.size / PAGE_SIZE);
  a.forEachPopulatedPage((pfn) => touched.set(pfn));
  b.forEachPopulatedPage((pfn) => touched.set(pfn));
  const { pa, pb, equal } = scratch;
  const mismatchedPages: number[] = [];
  let pagesCompared = 0;
  touched.forEachRun((first, count) => {
    for (let at = first; at < first + count; at += COMPARE_PAGES) {
      const n = Math.min(COMPARE_PAGES, first + count - at);
      const bytes = n * PAGE_SIZE;
      a.read(at * PAGE_SIZE, pa.subarray(0, bytes));
      b.read(at * PAGE_SIZE, pb.subarray(0, bytes));
      pagesCompared += n;
      if (equal(0, bytes)) continue;
      for (let p = 0; p < n; p++)
        if (!equal(p * PAGE_SIZE, (p + 1) * PAGE_SIZE)) mismatchedPages.push(at + p);
    }
  });
  return { pagesCompared, mismatchedPages };
}
