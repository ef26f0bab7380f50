/**
 * PCI region and IRQ indexes of a vfio-pci device (include/uapi/linux/vfio.h), and the kernel-internal
 * offset scheme of the device fd (include/linux/vfio_pci_core.h): region `index` lives at file offset
 * `index << 40`.
 */

/**
 * `VFIO_PCI_BAR0_REGION_INDEX` (include/uapi/linux/vfio.h): region 0 of a vfio-pci device is the function's
 * BAR 0 (absent — size 0 — when the function has no BAR 0).
 */
export const VFIO_PCI_BAR0_REGION_INDEX = 0;
/**
 * `VFIO_PCI_BAR1_REGION_INDEX` (include/uapi/linux/vfio.h): region 1 of a vfio-pci device is the function's
 * BAR 1 (absent — size 0 — when the function has no BAR 1).
 */
export const VFIO_PCI_BAR1_REGION_INDEX = 1;
/**
 * `VFIO_PCI_BAR2_REGION_INDEX` (include/uapi/linux/vfio.h): region 2 of a vfio-pci device is the function's
 * BAR 2 (absent — size 0 — when the function has no BAR 2).
 */
export const VFIO_PCI_BAR2_REGION_INDEX = 2;
/**
 * `VFIO_PCI_BAR3_REGION_INDEX` (include/uapi/linux/vfio.h): region 3 of a vfio-pci device is the function's
 * BAR 3 (absent — size 0 — when the function has no BAR 3).
 */
export const VFIO_PCI_BAR3_REGION_INDEX = 3;
/**
 * `VFIO_PCI_BAR4_REGION_INDEX` (include/uapi/linux/vfio.h): region 4 of a vfio-pci device is the function's
 * BAR 4 (absent — size 0 — when the function has no BAR 4).
 */
export const VFIO_PCI_BAR4_REGION_INDEX = 4;
/**
 * `VFIO_PCI_BAR5_REGION_INDEX` (include/uapi/linux/vfio.h): region 5 of a vfio-pci device is the function's
 * BAR 5 (absent — size 0 — when the function has no BAR 5).
 */
export const VFIO_PCI_BAR5_REGION_INDEX = 5;
/**
 * `VFIO_PCI_ROM_REGION_INDEX` (include/uapi/linux/vfio.h): region 6 is the expansion ROM
 * (`PCI_ROM_ADDRESS`), read-only.
 */
export const VFIO_PCI_ROM_REGION_INDEX = 6;
/**
 * `VFIO_PCI_CONFIG_REGION_INDEX` (include/uapi/linux/vfio.h): region 7 is PCI config space (256 bytes, 4 KiB
 * for PCIe), virtualized by vfio-pci.
 */
export const VFIO_PCI_CONFIG_REGION_INDEX = 7;
/**
 * `VFIO_PCI_VGA_REGION_INDEX` (include/uapi/linux/vfio.h): region 8 is the legacy VGA range (0xa0000–0xbffff
 * and I/O 0x3b0–0x3df); absent in the model.
 */
export const VFIO_PCI_VGA_REGION_INDEX = 8;
/** Fixed-ABI region count; indexes ≥ 9 are device-specific regions (each described by a TYPE capability). */
export const VFIO_PCI_NUM_REGIONS = 9;

/** `VFIO_PCI_INTX_IRQ_INDEX` (include/uapi/linux/vfio.h): IRQ index 0, the legacy INTx pin interrupt. */
export const VFIO_PCI_INTX_IRQ_INDEX = 0;
/** `VFIO_PCI_MSI_IRQ_INDEX` (include/uapi/linux/vfio.h): IRQ index 1, MSI vectors. */
export const VFIO_PCI_MSI_IRQ_INDEX = 1;
/** `VFIO_PCI_MSIX_IRQ_INDEX` (include/uapi/linux/vfio.h): IRQ index 2, MSI-X vectors. */
export const VFIO_PCI_MSIX_IRQ_INDEX = 2;
/**
 * `VFIO_PCI_ERR_IRQ_INDEX` (include/uapi/linux/vfio.h): IRQ index 3, the eventfd signalled on an
 * uncorrectable (AER) error.
 */
export const VFIO_PCI_ERR_IRQ_INDEX = 3;
/**
 * `VFIO_PCI_REQ_IRQ_INDEX` (include/uapi/linux/vfio.h): IRQ index 4, the eventfd by which the kernel asks
 * the user to release the device.
 */
export const VFIO_PCI_REQ_IRQ_INDEX = 4;
/**
 * `VFIO_PCI_NUM_IRQS` (include/uapi/linux/vfio.h): 5, the number of IRQ indexes a vfio-pci device reports in
 * GET_INFO.
 */
export const VFIO_PCI_NUM_IRQS = 5;

/** `VFIO_PCI_OFFSET_SHIFT`: region index bits start at bit 40 of the file offset. */
export const VFIO_PCI_OFFSET_SHIFT = 40;
const OFFSET_UNIT = 2 ** VFIO_PCI_OFFSET_SHIFT;
/** `VFIO_PCI_OFFSET_MASK`: the in-region part of a file offset, `(1 << 40) - 1`. */
export const VFIO_PCI_OFFSET_MASK = OFFSET_UNIT - 1;

/**
 * `VFIO_PCI_INDEX_TO_OFFSET(index)`: the device-fd offset of region `index` (`index << 40`, computed
 * without 32-bit shifts; exact for every index a safe integer can hold).
 */
export function VFIO_PCI_INDEX_TO_OFFSET(index: number): number {
  return index * OFFSET_UNIT;
}

/** `VFIO_PCI_OFFSET_TO_INDEX(off)`: the region index of a device-fd offset (`off >> 40`). */
export function VFIO_PCI_OFFSET_TO_INDEX(off: number): number {
  // `| 0` truncates like `>> 40` for every non-negative safe-integer offset (the index is < 2^13) and
  // avoids Math.floor's slow path on this hot path.
  return (off / OFFSET_UNIT) | 0;
}

/** The in-region position of a device-fd offset (`off & VFIO_PCI_OFFSET_MASK`). */
export function vfioPciOffsetInRegion(off: number): number {
  // Not `off % OFFSET_UNIT`: a floating-point modulo is a slow fmod call on this hot path.
  return off - ((off / OFFSET_UNIT) | 0) * OFFSET_UNIT;
}
