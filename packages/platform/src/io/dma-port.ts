import type { GuestMemory } from '../memory/guest-memory.js';

/**
 * How a device reaches memory: reads and writes by IO virtual address (IOVA).
 *
 * The device model (qm-hw) only ever sees this interface; what sits behind it is the platform's choice:
 * {@link IdentityDmaPort} (IOVA = guest-physical address, no IOMMU) for tests, or an IOMMU domain
 * (iommufd) that translates, checks permissions and sets dirty bits. A failed translation throws
 * `KernelError('EFAULT')` — the device model turns that into its own DMA-error behaviour.
 *
 * Kernel counterpart: the device's view through `dma_map_*` / the IOMMU; for a VF, the IOMMU domain its
 * vfio device is attached to.
 */
export interface DmaPort {
  /** Read `dst.length` bytes at `iova`. */
  read(iova: number, dst: Uint8Array): void;
  /** Write `src` at `iova`. */
  write(iova: number, src: Uint8Array): void;
  /** 32-bit little-endian read (no allocation). */
  readU32(iova: number): number;
  /** 32-bit little-endian write (no allocation). */
  writeU32(iova: number, value: number): void;
  /** 16-bit little-endian write (no allocation), e.g. a CQE status word. */
  writeU16(iova: number, value: number): void;
}

/**
 * A DMA port without an IOMMU: IOVA is the guest-physical address. Device writes still reach the
 * memory's write observer (so CPU-side dirty logging sees them, as KVM would not — tests only).
 */
export class IdentityDmaPort implements DmaPort {
  constructor(private readonly memory: GuestMemory) {}

  read(iova: number, dst: Uint8Array): void {
    this.memory.read(iova, dst);
  }

  write(iova: number, src: Uint8Array): void {
    this.memory.write(iova, src);
  }

  readU32(iova: number): number {
    return this.memory.readU32(iova);
  }

  writeU32(iova: number, value: number): void {
    this.memory.writeU32(iova, value);
  }

  writeU16(iova: number, value: number): void {
    this.memory.writeU16(iova, value);
  }
}
