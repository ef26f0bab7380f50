import { type GuestMemory, KernelError, PAGE_SIZE } from '@vfio-sim/platform';

/** What {@link copyGuestMemory} moved. */
export interface GuestMemoryCopy {
  readonly pages: number;
  readonly bytes: number;
}

/**
 * Copy every page of `src` the guest (or a device, by DMA) ever touched into `dst`: the whole guest
 * memory, sent while the VM is stopped, in bulk ({@link GuestMemory.copyFrom}: runs of pages, one copy
 * each). Untouched pages are zero on both sides and are not sent (`dst` drops any it held).
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
  dst.copyFrom(src, 0, src.size);
  const bytes = src.touchedBytes();
  return { pages: bytes / PAGE_SIZE, bytes };
}
