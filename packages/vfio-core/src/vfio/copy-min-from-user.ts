import type { FieldDecl, StructLayout, StructValue, UserMemory } from '@vfio-sim/platform';

/**
 * `copy_from_user(&s, arg, minsz)` into a zeroed struct: the first `minsz` bytes of the user's struct,
 * the rest zero (what an ioctl handler sees before it checks `argsz`).
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
