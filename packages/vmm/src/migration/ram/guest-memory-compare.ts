import { type GuestMemory, KernelError, PAGE_SIZE } from '@vfio-sim/platform';

/** What {@link compareGuestMemory} found. */
export interface GuestMemoryComparison {
  /** Pages compared: every page either side ever touched. */
  readonly pagesCompared: number;
  /** Page frame numbers whose contents differ, ascending. */
  readonly mismatchedPages: readonly number[];
}

/**
 * Compare two guest memories page by page over every page either of them touched (an untouched page
 * reads as zeros). The harness's proof that a migration moved guest RAM intact: called at the
 * switch-over, with the source stopped and the destination not yet started.
 *
 * Kernel/VMM counterpart: none — a test oracle (like comparing guest RAM dumps of both sides).
 * @throws KernelError EINVAL if the sizes differ.
 */
export function compareGuestMemory(a: GuestMemory, b: GuestMemory): GuestMemoryComparison {
  if (a.size !== b.size) throw new KernelError('EINVAL', `guest RAM sizes differ: ${a.size} vs ${b.size}`);
  const pages = [...new Set([...a.touchedPages(), ...b.touchedPages()])].sort((x, y) => x - y);
  const pa = new Uint8Array(PAGE_SIZE);
  const pb = new Uint8Array(PAGE_SIZE);
  const mismatchedPages: number[] = [];
  for (const pfn of pages) {
    a.read(pfn * PAGE_SIZE, pa);
    b.read(pfn * PAGE_SIZE, pb);
    for (let i = 0; i < PAGE_SIZE; i++) {
      if (pa[i] !== pb[i]) {
        mismatchedPages.push(pfn);
        break;
      }
    }
  }
  return { pagesCompared: pages.length, mismatchedPages };
}
