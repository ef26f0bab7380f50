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

/**
 * `copy_from_user(&s, arg, minsz)` into a zeroed struct: the first `minsz` bytes of the user's struct,
 * the rest zero (what a VFIO ioctl handler sees before it checks `argsz`).
 *
 * Kernel counterpart: the `minsz = offsetofend(...)` + `copy_from_user` opening of every VFIO ioctl.
 * @throws KernelError EFAULT
 */
export function copyMinFromUser<F extends readonly FieldDecl[]>(
  mm: UserMemory,
  layout: StructLayout<F>,
  arg: number,
  minsz: number,
): StructValue<F> {
  const bytes = new Uint8Array(layout.size);
  bytes.set(mm.copyFromUser(arg, minsz));
  return layout.decode(bytes);
}

/** `TASK_SIZE_MAX` of x86-64 with 4-level paging: the user half of the address space, minus a guard page. */
export const TASK_SIZE_MAX = 2 ** 47 - 4096;

/**
 * `access_ok(addr, size)`: whether `[addr, addr + size)` lies in the user half of the address space. It
 * says nothing about whether the memory is mapped — a later copy to or from it can still fault (EFAULT).
 *
 * Kernel counterpart: `access_ok` / `__access_ok` (arch/x86/include/asm/uaccess_64.h).
 */
export function accessOk(addr: bigint, size: bigint): boolean {
  const max = BigInt(TASK_SIZE_MAX);
  return size <= max && addr <= max - size;
}
