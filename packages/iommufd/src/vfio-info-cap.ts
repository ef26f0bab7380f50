import { defineStruct, KernelError } from '@vfio-sim/platform';

/** `struct vfio_info_cap_header`: `next` is the offset of the next capability from the start of the buffer. */
export const vfio_info_cap_header = defineStruct(
  'vfio_info_cap_header',
  [
    { name: 'id', type: 'u16' },
    { name: 'version', type: 'u16' },
    { name: 'next', type: 'u32' },
  ],
  { size: 8 },
);

/**
 * A VFIO capability chain under construction, as GET_INFO-style ioctls (region info, type1 IOMMU info)
 * build it: each capability starts with the 8-byte header {id u16, version u16, next u32} and takes a
 * multiple of 8 bytes (the kernel rounds every capability up, so the next one starts aligned and the
 * chain's size includes the last one's padding); `next` is the offset of the following capability from
 * the start of the *user buffer*, which {@link bytes} computes for a chain placed `shift` bytes into it.
 *
 * Kernel counterpart: `struct vfio_info_cap`, `vfio_info_cap_add` (with `size = ALIGN(size,
 * sizeof(u64))`), `vfio_info_add_capability` and `vfio_info_cap_shift` (drivers/vfio/vfio_main.c).
 */
export class VfioInfoCap {
  private readonly caps: Uint8Array[] = [];

  /** Total bytes of the chain (`caps.size`). */
  get size(): number {
    let n = 0;
    for (const c of this.caps) n += align8(c.length);
    return n;
  }

  /**
   * `vfio_info_cap_add` / `vfio_info_add_capability`: append a capability whose bytes start with the
   * 8-byte header (id and version are filled in here, `next` when the chain is laid out).
   * @throws KernelError EINVAL for a capability shorter than its header.
   */
  add(id: number, version: number, capability: Uint8Array): void {
    if (capability.length < vfio_info_cap_header.size) {
      throw new KernelError('EINVAL', `capability ${id} shorter than its header`);
    }
    const c = new Uint8Array(align8(capability.length));
    c.set(capability);
    vfio_info_cap_header.encode({ id, version, next: 0 }, c, 0);
    this.caps.push(c);
  }

  /** The chain as bytes, laid out for placement `shift` bytes into the user buffer (`vfio_info_cap_shift`). */
  bytes(shift: number): Uint8Array {
    const out = new Uint8Array(this.size);
    const v = new DataView(out.buffer);
    let at = 0;
    this.caps.forEach((c, i) => {
      out.set(c, at);
      const next = i + 1 < this.caps.length ? at + c.length + shift : 0;
      v.setUint32(at + 4, next, true);
      at += c.length;
    });
    return out;
  }
}

function align8(n: number): number {
  return (n + 7) & ~7;
}
