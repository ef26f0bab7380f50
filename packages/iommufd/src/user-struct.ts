import type { FieldDecl } from '@vfio-sim/platform';
import { KernelError, type StructLayout, type StructValue, type UserMemory } from '@vfio-sim/platform';

/**
 * `copy_struct_from_user` for an iommufd command: the user's `size` (first u32) must reach `minSize`
 * (else EINVAL); bytes the kernel does not know must be zero (else E2BIG); a shorter struct is
 * zero-extended. Returns the decoded struct and the user's size.
 *
 * Kernel counterpart: `iommufd_fops_ioctl` + `copy_struct_from_user` (drivers/iommu/iommufd/main.c).
 * @throws KernelError EFAULT, EINVAL, E2BIG.
 */
export function copyCmdFromUser<F extends readonly FieldDecl[]>(
  mm: UserMemory,
  arg: number,
  layout: StructLayout<F>,
  minSize: number,
): { cmd: StructValue<F>; userSize: number } {
  const userSize = mm.readU32(arg);
  if (userSize < minSize) {
    throw new KernelError('EINVAL', `struct ${layout.name}: size ${userSize} < minimum ${minSize}`);
  }
  const k = layout.size;
  if (userSize > k) {
    const tail = mm.copyFromUser(arg + k, userSize - k);
    if (tail.some((b) => b !== 0)) {
      throw new KernelError('E2BIG', `struct ${layout.name}: non-zero bytes past the ${k} the kernel knows`);
    }
  }
  const bytes = new Uint8Array(k);
  bytes.set(mm.copyFromUser(arg, Math.min(userSize, k)));
  return { cmd: layout.decode(bytes), userSize };
}

/** Copy the command back, only as far as the user's `size` reaches (`iommufd_ucmd_respond`). */
export function copyCmdToUser<F extends readonly FieldDecl[]>(
  mm: UserMemory,
  arg: number,
  layout: StructLayout<F>,
  cmd: StructValue<F>,
  userSize: number,
): void {
  const bytes = layout.encode(cmd);
  mm.copyToUser(arg, bytes.subarray(0, Math.min(userSize, layout.size)));
}
