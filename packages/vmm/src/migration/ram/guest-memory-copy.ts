import { type GuestMemory, KernelError, PAGE_SIZE } from '@vfio-sim/platform';

/** What {@link copyGuestMemory} moved. */
export interface GuestMemoryCopy {
  readonly pages: number;
  readonly bytes: number;
}

/**
 * Copy every page of `src` the guest (or a device, by DMA) ever touched into `dst`: the whole guest
 * memory, sent while the VM is stopped. Untouched pages are zero on both sides and are not sent.
 * There is no dirty tracking yet, so nothing is sent while the guest runs.
 *
 * VMM counterpart: QEMU's RAM migration with no pre-copy rounds (every page sent in the
 * stop-and-copy phase; zero pages skipped).
 * @throws KernelError EINVAL if the sizes differ.
 */
export function copyGuestMemory(src: GuestMemory, dst: GuestMemory): GuestMemoryCopy {
  if (src.size !== dst.size) {
    throw new KernelError('EINVAL', `guest RAM sizes differ: ${src.size} → ${dst.size}`);
  }
  const page = new Uint8Array(PAGE_SIZE);
  const pages = src.touchedPages();
  for (const pfn of pages) {
    src.read(pfn * PAGE_SIZE, page);
    dst.write(pfn * PAGE_SIZE, page);
  }
  return { pages: pages.length, bytes: pages.length * PAGE_SIZE };
}
