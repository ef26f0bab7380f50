import { IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR } from '@vfio-sim/iommufd';
import { PAGE_SIZE } from '@vfio-sim/platform';
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
 * The migration's dirty-page sync over every place dirty state lives: the CPU dirty log (KVM) and the
 * dirty bits of each dirty-tracking HWPT of the VM's iommufd (one per IOMMU instance its devices sit
 * behind), read with IOMMU_HWPT_GET_DIRTY_BITMAP through the VM's `/dev/iommu` into a bitmap in its
 * QEMU's memory (zeroed before each call: the kernel only sets bits). Every source is read and
 * cleared; their union is OR-ed into the caller's bitmap. Nothing is allocated per sync.
 *
 * VMM counterpart: QEMU's `migration_bitmap_sync` → `memory_global_dirty_log_sync` (KVM's
 * `kvm_physical_sync_dirty_bitmap` and vfio's `vfio_container_query_dirty_bitmap` →
 * `iommufd_query_dirty_bitmap`); `start`/`stop` are `memory_global_dirty_log_start/stop`
 * (`KVM_MEM_LOG_DIRTY_PAGES`, `iommufd_set_dirty_page_tracking`).
 */
export class DirtySync {
  /** The pages the last sync found in the CPU log. */
  readonly cpu: PageBitmap;
  /** The pages the last sync found in the IOMMUs. */
  readonly dma: PageBitmap;
  private readonly useCpu: boolean;
  private readonly hwpts: readonly VmHwpt[];
  private readonly bitmapVa: number;
  private readonly bitmapBytes: Uint8Array;
  private readonly zero: Uint8Array;

  constructor(private readonly options: DirtySyncOptions) {
    const { vm } = options;
    const pages = vm.memory.size / PAGE_SIZE;
    this.cpu = new PageBitmap(pages);
    this.dma = new PageBitmap(pages);
    this.useCpu = options.sources?.cpu ?? true;
    const useIommu = options.sources?.iommu ?? true;
    this.hwpts = useIommu && vm.iommufd !== undefined ? vm.iommufd.hwptList : [];
    const bytes = this.hwpts.length > 0 ? Math.ceil(pages / 64) * 8 : 0;
    this.bitmapVa = bytes > 0 ? vm.process.mm.alloc(bytes, 8) : 0;
    this.bitmapBytes = new Uint8Array(bytes);
    this.zero = new Uint8Array(bytes);
  }

  /**
   * Start tracking with clean logs: the CPU log starts empty, IOMMU_HWPT_SET_DIRTY_TRACKING enable
   * clears every IOPTE's dirty state and arms the IOMMU.
   * @throws KernelError from the ioctl (EOPNOTSUPP if a HWPT has no dirty tracking).
   */
  start(): void {
    for (const hwpt of this.hwpts) this.backend().client.setDirtyTracking(hwpt.id, true);
    if (this.useCpu) this.options.vm.dirtyLog.start();
  }

  /**
   * Read and clear every source; OR their union into `into`.
   * @throws KernelError from GET_DIRTY_BITMAP.
   */
  sync(into: PageBitmap): DirtySyncResult {
    this.cpu.clear();
    this.dma.clear();
    if (this.useCpu) this.options.vm.dirtyLog.readAndClear(this.cpu);
    for (const hwpt of this.hwpts) this.readIommu(hwpt, 0);
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
   */
  peekIommu(into: PageBitmap): void {
    this.dma.clear();
    for (const hwpt of this.hwpts) this.readIommu(hwpt, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR);
    into.or(this.dma);
  }

  private backend() {
    return this.options.vm.iommufd!;
  }

  /** One GET_DIRTY_BITMAP of all of guest RAM on `hwpt`, OR-ed into {@link dma}. */
  private readIommu(hwpt: VmHwpt, flags: number): void {
    const { client, iova, length } = this.backend();
    const mm = client.process.mm;
    mm.copyToUser(this.bitmapVa, this.zero);
    client.getDirtyBitmap(hwpt.id, iova, length, PAGE_SIZE, this.bitmapVa, flags);
    mm.read(this.bitmapVa, this.bitmapBytes);
    this.dma.orBytes(this.bitmapBytes);
  }
}
