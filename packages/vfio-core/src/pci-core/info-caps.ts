import { VfioInfoCap } from '@vfio-sim/iommufd';
import {
  VFIO_REGION_INFO_CAP_SPARSE_MMAP,
  VFIO_REGION_INFO_CAP_TYPE,
  vfio_region_info_cap_sparse_mmap,
  vfio_region_info_cap_type,
  vfio_region_sparse_mmap_area,
} from '../uapi/region-info.js';

/**
 * The region-info capability chain: the generic chain of `@vfio-sim/iommufd`'s {@link VfioInfoCap}
 * (`vfio_info_cap_add`, `vfio_info_cap_shift`) plus the two capabilities vfio-pci-core adds.
 *
 * Kernel counterpart: `struct vfio_info_cap` with `vfio_info_add_capability` of
 * VFIO_REGION_INFO_CAP_TYPE / VFIO_REGION_INFO_CAP_SPARSE_MMAP (drivers/vfio/pci/vfio_pci_core.c).
 */
export class VfioInfoCaps extends VfioInfoCap {
  /** `vfio_info_add_capability` of a VFIO_REGION_INFO_CAP_TYPE capability. */
  addType(type: number, subtype: number): void {
    this.add(
      VFIO_REGION_INFO_CAP_TYPE,
      1,
      vfio_region_info_cap_type.encode({
        id: 0,
        version: 0,
        next: 0,
        type: type >>> 0,
        subtype: subtype >>> 0,
      }),
    );
  }

  /** A VFIO_REGION_INFO_CAP_SPARSE_MMAP capability: the mmap-able areas of a region. */
  addSparseMmap(areas: readonly { offset: number; size: number }[]): void {
    const head = vfio_region_info_cap_sparse_mmap;
    const area = vfio_region_sparse_mmap_area;
    const out = new Uint8Array(head.size + areas.length * area.size);
    head.encode({ id: 0, version: 0, next: 0, nr_areas: areas.length, reserved: 0 }, out, 0);
    areas.forEach((a, i) => {
      area.encode({ offset: BigInt(a.offset), size: BigInt(a.size) }, out, head.size + i * area.size);
    });
    this.add(VFIO_REGION_INFO_CAP_SPARSE_MMAP, 1, out);
  }
}
