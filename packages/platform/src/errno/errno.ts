/**
 * Linux errno names and numbers used across the stack.
 *
 * Kernel counterpart: `include/uapi/asm-generic/errno-base.h` and `errno.h` (the values are the same on
 * arm64 and x86_64). Kernel functions return `-errno`; the model throws {@link KernelError} carrying the
 * positive number and the name, so `grep EINVAL` finds both sides.
 */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENODEV: 19,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ENOTTY: 25,
  EFBIG: 27,
  ENOSPC: 28,
  ESPIPE: 29,
  EROFS: 30,
  EPIPE: 32,
  ERANGE: 34,
  EDEADLK: 35,
  ENOSYS: 38,
  ENOMSG: 42,
  ENODATA: 61,
  EPROTO: 71,
  EOVERFLOW: 75,
  EBADFD: 77,
  EMSGSIZE: 90,
  EOPNOTSUPP: 95,
  EADDRINUSE: 98,
  ETIMEDOUT: 110,
  ECANCELED: 125,
  /** Kernel-internal (never reaches userspace on a well-behaved path): `include/linux/errno.h`. */
  EPROBE_DEFER: 517,
  /** Kernel-internal "operation not supported" (NFSv3 heritage), distinct from EOPNOTSUPP. */
  ENOTSUPP: 524,
} as const;

/** One of the errno names the model knows, e.g. `'EINVAL'`. */
export type ErrnoName = keyof typeof ERRNO;

const NAME_BY_NUMBER: ReadonlyMap<number, ErrnoName> = new Map(
  (Object.entries(ERRNO) as [ErrnoName, number][]).map(([name, value]) => [value, name]),
);

/** The errno name for a (positive or negative) errno number, or `undefined` if the model does not know it. */
export function errnoName(errno: number): ErrnoName | undefined {
  return NAME_BY_NUMBER.get(Math.abs(errno));
}

/** True if `name` is an errno name the model knows. */
export function isErrnoName(name: string): name is ErrnoName {
  return Object.hasOwn(ERRNO, name);
}
