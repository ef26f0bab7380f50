import { type GuestMemory, KernelError, PAGE_SIZE } from '@vfio-sim/platform';
import { PageBitmap } from './page-bitmap.js';

/**
 * {@link PAGE_SIZE} read once: some module runners (vitest's) turn every use of an imported binding
 * into a property read on the module object, which costs more than the rest of the per-store path.
 */
const PAGE_BYTES = PAGE_SIZE;

/**
 * The dirty log of guest CPU writes: while logging, every write into guest RAM by the guest (its
 * vCPUs) sets the bit of each page it touched. Writes by a device (DMA, which goes through the IOMMU)
 * are not logged: the device's DMA port brackets them with {@link beginDeviceDma} /
 * {@link endDeviceDma}, since the model's guest memory cannot tell who writes. The per-write path
 * allocates nothing.
 *
 * Kernel counterpart: KVM's dirty logging (`KVM_MEM_LOG_DIRTY_PAGES`, `mark_page_dirty_in_slot` on a
 * stage-2 / EPT write fault, `KVM_GET_DIRTY_LOG` + `KVM_CLEAR_DIRTY_LOG`). KVM never sees a device's
 * DMA; for that the IOMMU keeps its own dirty bits.
 */
export class CpuDirtyLog {
  /** Pages written by the CPU since logging started or since the last {@link readAndClear}. */
  readonly bitmap: PageBitmap;
  private logging = false;
  private dmaDepth = 0;

  /**
   * A log for `memory`; logging starts with {@link start}. The log is `memory`'s write observer only
   * while logging, so writes outside a migration (and every write into a memory that never logs, such
   * as the incoming VM's) cost nothing. The bitmap is sparse ({@link PageBitmap}): it holds a chunk per
   * 2 MiB of guest RAM written while logging, not a bit per page of the guest.
   */
  constructor(readonly memory: GuestMemory) {
    this.bitmap = new PageBitmap(memory.size / PAGE_SIZE);
  }

  /** Whether writes are being logged. */
  get isLogging(): boolean {
    return this.logging;
  }

  /**
   * Start logging with an empty log (`KVM_SET_USER_MEMORY_REGION` with KVM_MEM_LOG_DIRTY_PAGES).
   * Idempotent: starting again empties the log (and gives its chunks back).
   */
  start(): void {
    this.bitmap.reset();
    this.logging = true;
    this.memory.setWriteObserver(this.observe);
  }

  /** Stop logging; the log keeps what it holds. */
  stop(): void {
    this.logging = false;
    this.memory.setWriteObserver(undefined);
  }

  /** Stop logging and give the log's memory back (the VM's QEMU exits). */
  release(): void {
    this.stop();
    this.bitmap.reset();
  }

  /** A device DMA access begins: writes until {@link endDeviceDma} are not CPU writes. */
  beginDeviceDma(): void {
    this.dmaDepth++;
  }

  /** The device DMA access ends. @throws KernelError EINVAL without a matching begin. */
  endDeviceDma(): void {
    if (this.dmaDepth === 0) throw new KernelError('EINVAL', 'endDeviceDma without beginDeviceDma');
    this.dmaDepth--;
  }

  /**
   * OR the logged pages into `into`, clear the log, and return how many pages were logged
   * (`KVM_GET_DIRTY_LOG` then `KVM_CLEAR_DIRTY_LOG` over the whole slot).
   * @throws KernelError EINVAL if `into` covers another number of pages.
   */
  readAndClear(into: PageBitmap): number {
    into.or(this.bitmap);
    const n = this.bitmap.count();
    this.bitmap.clear();
    return n;
  }

  /** The write observer, installed while logging: marks the pages of a CPU write. */
  private readonly observe = (gpa: number, length: number): void => {
    if (this.dmaDepth !== 0 || length === 0) return;
    const bitmap = this.bitmap;
    const first = Math.floor(gpa / PAGE_BYTES);
    const last = Math.floor((gpa + length - 1) / PAGE_BYTES);
    bitmap.set(first);
    for (let p = first + 1; p <= last; p++) bitmap.set(p);
  };
}
