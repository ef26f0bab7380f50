import { IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR } from '@vfio-sim/iommufd';
import { KernelError, PAGE_SIZE } from '@vfio-sim/platform';
import type { VmHwpt } from '../../devices/iommufd-backend.js';
import { PageBitmap } from '../../vm/page-bitmap.js';
import type { Vm } from '../../vm/vm.js';

/** Options of {@link DirtySync}. */
export interface DirtySyncOptions {
  /** The VM whose RAM migrates: its CPU dirty log, and its iommufd HWPTs. */
  readonly vm: Vm;
  /**
   * Which sources to use (default both). Switching one off models a VMM that forgets it — only for
   * tests that show the RAM comparison catches the pages it misses.
   */
  readonly sources?: { readonly cpu?: boolean; readonly iommu?: boolean };
}

/** What one {@link DirtySync.sync} found. */
export interface DirtySyncResult {
  /** Pages the vCPUs wrote since the last sync (the CPU dirty log). */
  readonly cpuDirtyPages: number;
  /** Pages the devices wrote by DMA since the last sync (the IOMMU's dirty bits). */
  readonly dmaDirtyPages: number;
  /** Pages in both. */
  readonly bothDirtyPages: number;
}

/**
 * The IOMMU's dirty bits are read a window at a time: 1 GiB, window-aligned — the largest IOMMU leaf of
 * every format modelled, so a leaf never straddles two reads and each read-and-clear sees a leaf once
 * (clearing part of a huge leaf clears all of it). Only windows holding a populated page are read.
 */
export const DIRTY_READ_WINDOW = 1 << 30;
const WINDOW_PAGES = DIRTY_READ_WINDOW / PAGE_SIZE;

/**
 * The migration's dirty-page sync over every place dirty state lives: the CPU dirty log (KVM) and the
 * dirty bits of each dirty-tracking HWPT of the VM's iommufd (one per IOMMU instance its devices sit
 * behind), read with IOMMU_HWPT_GET_DIRTY_BITMAP through the VM's `/dev/iommu` into a bitmap in its
 * QEMU's memory (zeroed before each call: the kernel only sets bits). Every source is read and
 * cleared; their union is OR-ed into the caller's bitmap.
 *
 * Sized by what guest RAM holds, not by its size: the bitmaps are sparse ({@link PageBitmap}), the IOMMU
 * is read only over the {@link DIRTY_READ_WINDOW}s that hold a populated page (with one window-sized
 * bitmap in QEMU's heap, 32 KiB), and the pages the IOMMU reports are kept only where guest RAM is
 * populated: a huge leaf reports every page it maps (a dirty 2 MiB leaf 512 pages, upstream's
 * `iommu_dirty_bitmap_record` of the whole leaf), and a page of it the guest never populated is a zero
 * page, which QEMU sends as a header without data (`save_zero_page`) — here it is not sent at all.
 * Nothing is allocated per sync once the bitmaps hold their chunks. {@link close} frees the heap bitmap.
 *
 * VMM counterpart: QEMU's `migration_bitmap_sync` → `memory_global_dirty_log_sync` (KVM's
 * `kvm_physical_sync_dirty_bitmap` and vfio's `vfio_container_query_dirty_bitmap` →
 * `iommufd_query_dirty_bitmap`); `start`/`stop` are `memory_global_dirty_log_start/stop`
 * (`KVM_MEM_LOG_DIRTY_PAGES`, `iommufd_set_dirty_page_tracking`); `close` is the bitmap's `g_free`.
 */
export class DirtySync {
  /** The pages the last sync found in the CPU log. */
  readonly cpu: PageBitmap;
  /** The populated pages the last sync found in the IOMMUs. */
  readonly dma: PageBitmap;
  /** Populated guest pages at the last IOMMU read. */
  private readonly populated: PageBitmap;
  /** Window numbers holding a populated page at the last IOMMU read, ascending. */
  private readonly windows: number[] = [];
  private readonly useCpu: boolean;
  private readonly hwpts: readonly VmHwpt[];
  private bitmapVa: number;
  private readonly bitmapBytes: Uint8Array;
  private readonly zero: Uint8Array;
  private closed = false;

  constructor(private readonly options: DirtySyncOptions) {
    const { vm } = options;
    const pages = vm.memory.size / PAGE_SIZE;
    this.cpu = new PageBitmap(pages);
    this.dma = new PageBitmap(pages);
    this.populated = new PageBitmap(pages);
    this.useCpu = options.sources?.cpu ?? true;
    const useIommu = options.sources?.iommu ?? true;
    this.hwpts = useIommu && vm.iommufd !== undefined ? vm.iommufd.hwptList : [];
    const bytes = this.hwpts.length > 0 ? windowBitmapBytes(Math.min(DIRTY_READ_WINDOW, vm.memory.size)) : 0;
    this.bitmapVa = bytes > 0 ? vm.process.mm.alloc(bytes, 8) : 0;
    this.bitmapBytes = new Uint8Array(bytes);
    this.zero = new Uint8Array(bytes);
  }

  /** Bytes of QEMU heap the sync holds (its GET_DIRTY_BITMAP buffer; 0 once closed). */
  get heapBytes(): number {
    return this.bitmapVa === 0 ? 0 : this.bitmapBytes.length;
  }

  /**
   * Start tracking with clean logs: the CPU log starts empty, IOMMU_HWPT_SET_DIRTY_TRACKING enable
   * clears every IOPTE's dirty state and arms the IOMMU.
   * @throws KernelError from the ioctl (EOPNOTSUPP if a HWPT has no dirty tracking); EBADF once closed.
   */
  start(): void {
    this.checkOpen();
    for (const hwpt of this.hwpts) this.backend().client.setDirtyTracking(hwpt.id, true);
    if (this.useCpu) this.options.vm.dirtyLog.start();
  }

  /**
   * Read and clear every source; OR their union into `into`.
   * @throws KernelError from GET_DIRTY_BITMAP; EBADF once closed.
   */
  sync(into: PageBitmap): DirtySyncResult {
    this.checkOpen();
    this.cpu.clear();
    this.dma.clear();
    if (this.useCpu) this.options.vm.dirtyLog.readAndClear(this.cpu);
    this.readIommus(0);
    const cpuDirtyPages = this.cpu.count();
    const dmaDirtyPages = this.dma.count();
    into.or(this.cpu);
    into.or(this.dma);
    return { cpuDirtyPages, dmaDirtyPages, bothDirtyPages: this.cpu.countShared(this.dma) };
  }

  /**
   * Stop tracking (disable only: the IOMMU keeps its dirty bits, the CPU log what it holds).
   * @throws KernelError from the ioctl.
   */
  stop(): void {
    if (this.useCpu) this.options.vm.dirtyLog.stop();
    for (const hwpt of this.hwpts) this.backend().client.setDirtyTracking(hwpt.id, false);
  }

  /**
   * The IOMMUs' dirty bits without clearing them (GET_DIRTY_BITMAP with NO_CLEAR), OR-ed into `into`:
   * for diagnostics; a migration reads with clear.
   * @throws KernelError from GET_DIRTY_BITMAP; EBADF once closed.
   */
  peekIommu(into: PageBitmap): void {
    this.checkOpen();
    this.dma.clear();
    this.readIommus(IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR);
    into.or(this.dma);
  }

  /**
   * Give back what the sync holds: the GET_DIRTY_BITMAP buffer in QEMU's heap and the bitmaps'
   * chunks. Tracking is not touched ({@link stop} first). Idempotent; the sync is unusable afterwards.
   */
  close(): void {
    if (this.bitmapVa !== 0) this.options.vm.process.mm.free(this.bitmapVa);
    this.bitmapVa = 0;
    this.closed = true;
    this.cpu.reset();
    this.dma.reset();
    this.populated.reset();
  }

  private checkOpen(): void {
    if (this.closed) throw new KernelError('EBADF', `${this.options.vm.name}: the dirty sync was closed`);
  }

  private backend() {
    return this.options.vm.iommufd!;
  }

  /** Every HWPT's dirty bits over the windows holding populated RAM, where RAM is populated, into {@link dma}. */
  private readIommus(flags: number): void {
    if (this.hwpts.length === 0) return;
    this.scanPopulated();
    for (const hwpt of this.hwpts) for (const w of this.windows) this.readWindow(hwpt, w, flags);
  }

  /** {@link populated} and {@link windows} from guest RAM as it is now. */
  private scanPopulated(): void {
    const populated = this.populated;
    const windows = this.windows;
    populated.clear();
    windows.length = 0;
    let last = -1;
    this.options.vm.memory.forEachPopulatedPage((pfn) => {
      populated.set(pfn);
      const w = Math.floor(pfn / WINDOW_PAGES);
      if (w !== last) {
        windows.push(w);
        last = w;
      }
    });
  }

  /** One GET_DIRTY_BITMAP of window `w` on `hwpt`, its populated pages OR-ed into {@link dma}. */
  private readWindow(hwpt: VmHwpt, w: number, flags: number): void {
    const { client, iova, length } = this.backend();
    const mm = client.process.mm;
    const start = w * DIRTY_READ_WINDOW;
    const len = Math.min(DIRTY_READ_WINDOW, length - start);
    const bytes = windowBitmapBytes(len);
    mm.copyToUser(this.bitmapVa, this.zero.subarray(0, bytes));
    client.getDirtyBitmap(hwpt.id, iova + start, len, PAGE_SIZE, this.bitmapVa, flags);
    const out = this.bitmapBytes.subarray(0, bytes);
    mm.read(this.bitmapVa, out);
    this.dma.orBytes(out, start / PAGE_SIZE, this.populated);
  }
}

/** Bytes of a GET_DIRTY_BITMAP bitmap for `length` bytes of IOVA at 4 KiB (whole `__u64`s). */
function windowBitmapBytes(length: number): number {
  return Math.ceil(length / PAGE_SIZE / 64) * 8;
}
