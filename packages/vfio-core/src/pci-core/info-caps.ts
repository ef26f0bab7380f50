import { KernelError } from '@vfio-sim/platform';
import {
  VFIO_REGION_INFO_CAP_SPARSE_MMAP,
  VFIO_REGION_INFO_CAP_TYPE,
  vfio_region_info_cap_sparse_mmap,
  vfio_region_info_cap_type,
  vfio_region_sparse_mmap_area,
} from '../uapi/region-info.js';

/**
 * A capability chain under construction (kernel `struct vfio_info_cap`, `vfio_info_cap_add`,
 * `vfio_info_cap_shift`): each capability starts 8-byte aligned with a header {id u16, version u16,
 * next u32}; `next` is the offset of the following capability from the start of the *user buffer*,
 * which {@link bytes} computes for a chain placed `shift` bytes into it.
 */
export class VfioInfoCaps {
  private readonly caps: Uint8Array[] = [];

  /** Total bytes of the chain (`caps.size`). */
  get size(): number {
    let n = 0;
    for (const c of this.caps) n = align8(n) + c.length;
    return n;
  }

  /**
   * `vfio_info_cap_add`: append a capability whose bytes start with the 8-byte header (id and version
   * are filled in here, `next` when the chain is laid out).
   */
  add(id: number, version: number, capability: Uint8Array): void {
    if (capability.length < 8) throw new KernelError('EINVAL', `capability ${id} shorter than its header`);
    const c = capability.slice();
    const v = new DataView(c.buffer);
    v.setUint16(0, id, true);
    v.setUint16(2, version, true);
    v.setUint32(4, 0, true);
    this.caps.push(c);
  }

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

  /** The chain as bytes, laid out for placement `shift` bytes into the user buffer (`vfio_info_cap_shift`). */
  bytes(shift: number): Uint8Array {
    const out = new Uint8Array(this.size);
    const v = new DataView(out.buffer);
    let at = 0;
    this.caps.forEach((c, i) => {
      at = align8(at);
      out.set(c, at);
      const next = i + 1 < this.caps.length ? align8(at + c.length) + shift : 0;
      v.setUint32(at + 4, next, true);
      at += c.length;
    });
    return out;
  }
}

function align8(n: number): number {
  return (n + 7) & ~7;
}
