import { type GuestMemory, KernelError, PAGE_SIZE } from '@vfio-sim/platform';
import type { MigrationLink } from '../../link/link.js';
import type { PageBitmap } from '../../vm/page-bitmap.js';

/**
 * Send the pages set in `pages` from `src` to `dst`: each run of consecutive pages is copied now, in
 * bulk ({@link GuestMemory.copyFrom}: a page `src` does not hold is dropped on `dst` too), then the link
 * carries the bytes — virtual time advances by the transfer time, and the guest and its device run
 * meanwhile (what they write now is dirty again for the next sync). Returns the number of pages sent.
 *
 * VMM counterpart: QEMU's `ram_find_and_save_block` loop over the dirty bitmap (`ram_save_page`,
 * `ram_load_precopy`), one pass; zero-page detection and compression are left out.
 * @throws KernelError EINVAL if the memories or the bitmap disagree in size.
 */
export function sendRamPages(
  src: GuestMemory,
  dst: GuestMemory,
  pages: PageBitmap,
  link: MigrationLink,
): number {
  if (src.size !== dst.size || pages.pages * PAGE_SIZE !== src.size)
    throw new KernelError('EINVAL', `guest RAM ${src.size} → ${dst.size}, bitmap of ${pages.pages} pages`);
  let sent = 0;
  pages.forEachRun((first, count) => {
    dst.copyFrom(src, first * PAGE_SIZE, count * PAGE_SIZE);
    sent += count;
  });
  link.send(sent * PAGE_SIZE);
  return sent;
}
