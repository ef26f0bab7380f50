import { IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR } from '@vfio-sim/iommufd';
import { PAGE_SIZE } from '@vfio-sim/platform';
import type { GuestRamDmaMap } from '../guest/guest-ram-dma-map.js';
import type { Vm } from '../guest/vm.js';
import type { HostIommu } from '../host/host-iommu.js';
import { PageBitmap } from './page-bitmap.js';

/** Options of {@link DirtySync}. */
export interface DirtySyncOptions {
  /** The VM whose RAM migrates (its CPU dirty log is one source). */
  readonly vm: Vm;
  /** The source host's IOMMU and the VMM's iommufd client (the other source). */
  readonly iommu: HostIommu;
  /** The VF's DMA mapping of guest RAM (its HWPT is read). */
  readonly dma: GuestRamDmaMap;
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
  /** Pages the VF wrote by DMA since the last sync (the IOMMU's dirty bits). */
  readonly dmaDirtyPages: number;
  /** Pages in both. */
  readonly bothDirtyPages: number;
}

/**
 * The migration's dirty-page sync over both places dirty state lives: the CPU dirty log (KVM) and
 * the IOMMU's dirty bits, read with IOMMU_HWPT_GET_DIRTY_BITMAP through the VMM's iommufd fd into a
 * bitmap in the VMM's memory (zeroed before each call: the kernel only sets bits). Both are read and
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
  /** The pages the last sync found in the IOMMU. */
  readonly dma: PageBitmap;
  private readonly useCpu: boolean;
  private readonly useIommu: boolean;
  private readonly bitmapVa: number;
  private readonly bitmapBytes: Uint8Array;
  private readonly zero: Uint8Array;

  constructor(private readonly options: DirtySyncOptions) {
    const pages = options.vm.memory.size / PAGE_SIZE;
    this.cpu = new PageBitmap(pages);
    this.dma = new PageBitmap(pages);
    this.useCpu = options.sources?.cpu ?? true;
    this.useIommu = options.sources?.iommu ?? true;
    const bytes = Math.ceil(options.dma.length / PAGE_SIZE / 64) * 8;
    this.bitmapVa = options.iommu.client.process.mm.alloc(bytes, 8);
    this.bitmapBytes = new Uint8Array(bytes);
    this.zero = new Uint8Array(bytes);
  }

  /**
   * Start tracking with clean logs: the CPU log starts empty, IOMMU_HWPT_SET_DIRTY_TRACKING enable
   * clears every IOPTE's dirty state and arms the IOMMU.
   * @throws KernelError from the ioctl (EOPNOTSUPP if the HWPT has no dirty tracking).
   */
  start(): void {
    if (this.useIommu) this.options.iommu.client.setDirtyTracking(this.options.dma.hwptId, true);
    if (this.useCpu) this.options.vm.dirtyLog.start();
  }

  /**
   * Read and clear both sources; OR their union into `into`.
   * @throws KernelError from GET_DIRTY_BITMAP.
   */
  sync(into: PageBitmap): DirtySyncResult {
    const { iommu, dma, vm } = this.options;
    this.cpu.clear();
    this.dma.clear();
    if (this.useCpu) vm.dirtyLog.readAndClear(this.cpu);
    if (this.useIommu) {
      const mm = iommu.client.process.mm;
      mm.copyToUser(this.bitmapVa, this.zero);
      iommu.client.getDirtyBitmap(dma.hwptId, dma.iova, dma.length, PAGE_SIZE, this.bitmapVa);
      mm.read(this.bitmapVa, this.bitmapBytes);
      this.dma.orBytes(this.bitmapBytes);
    }
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
    if (this.useIommu) this.options.iommu.client.setDirtyTracking(this.options.dma.hwptId, false);
  }

  /**
   * The IOMMU's dirty bits without clearing them (GET_DIRTY_BITMAP with NO_CLEAR), OR-ed into `into`:
   * for diagnostics; a migration reads with clear.
   */
  peekIommu(into: PageBitmap): void {
    const { iommu, dma } = this.options;
    const mm = iommu.client.process.mm;
    mm.copyToUser(this.bitmapVa, this.zero);
    iommu.client.getDirtyBitmap(
      dma.hwptId,
      dma.iova,
      dma.length,
      PAGE_SIZE,
      this.bitmapVa,
      IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR,
    );
    mm.read(this.bitmapVa, this.bitmapBytes);
    into.orBytes(this.bitmapBytes);
  }
}
