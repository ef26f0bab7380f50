import { KernelError } from '../errno/kernel-error.js';
import type { MmioRegion } from '../io/mmio.js';
import { PAGE_SHIFT } from '../memory/guest-memory.js';
import type { UserMemory } from '../memory/user-memory.js';
import {
  FMODE_PREAD,
  FMODE_PWRITE,
  FMODE_READ,
  FMODE_STREAM,
  FMODE_WRITE,
  type KernelFile,
  MAP_PRIVATE,
  MAP_SHARED,
  type Task,
} from './kernel-file.js';

/**
 * A userspace process (the VMM): an address space and an fd table, with the system calls that reach
 * files — `read`, `pread`, `write`, `pwrite`, `ioctl`, `mmap`, `close` — and the VFS checks the kernel
 * applies before a driver sees the call (EBADF, mode, ESPIPE for streams).
 *
 * Kernel counterpart: `struct task_struct` + `files_struct`; fs/read_write.c, fs/ioctl.c, mm/mmap.c.
 */
export class Process implements Task {
  private readonly fds = new Map<number, KernelFile<unknown>>();

  constructor(
    /** The process's address space (`current->mm`). */
    readonly mm: UserMemory,
    readonly name = 'vmm',
  ) {}

  /** `fd_install`: the lowest free descriptor ≥ 3 now refers to `file` (the fd owns one reference). */
  install(file: KernelFile<unknown>): number {
    let fd = 3;
    while (this.fds.has(fd)) fd++;
    this.fds.set(fd, file);
    return fd;
  }

  /** `fget`: the file behind `fd`. @throws KernelError EBADF */
  file(fd: number): KernelFile<unknown> {
    const f = this.fds.get(fd);
    if (f === undefined) throw new KernelError('EBADF', `fd ${fd} is not open in ${this.name}`);
    return f;
  }

  /** Open descriptors, ascending. */
  openFds(): number[] {
    return [...this.fds.keys()].sort((a, b) => a - b);
  }

  /** `close(2)`. @throws KernelError EBADF */
  close(fd: number): void {
    const f = this.file(fd);
    this.fds.delete(fd);
    f.put();
  }

  /** `read(2)` into user memory at `buf`. */
  read(fd: number, buf: number, count: number): number {
    const f = this.file(fd);
    if ((f.fmode & FMODE_READ) === 0 || f.ops.read === undefined) {
      throw new KernelError('EBADF', `fd ${fd} (${f.name}) is not open for reading`);
    }
    checkCount(count);
    return f.ops.read(f, this, buf, count, (f.fmode & FMODE_STREAM) !== 0 ? null : f.pos);
  }

  /** `pread(2)`: at an explicit offset; a stream refuses with ESPIPE. */
  pread(fd: number, buf: number, count: number, offset: number): number {
    const f = this.file(fd);
    if ((f.fmode & FMODE_READ) === 0 || f.ops.read === undefined) {
      throw new KernelError('EBADF', `fd ${fd} (${f.name}) is not open for reading`);
    }
    if ((f.fmode & FMODE_PREAD) === 0)
      throw new KernelError('ESPIPE', `fd ${fd} (${f.name}) has no position`);
    checkCount(count);
    checkOffset(offset);
    return f.ops.read(f, this, buf, count, { value: offset });
  }

  /** `write(2)` from user memory at `buf`. */
  write(fd: number, buf: number, count: number): number {
    const f = this.file(fd);
    if ((f.fmode & FMODE_WRITE) === 0 || f.ops.write === undefined) {
      throw new KernelError('EBADF', `fd ${fd} (${f.name}) is not open for writing`);
    }
    checkCount(count);
    return f.ops.write(f, this, buf, count, (f.fmode & FMODE_STREAM) !== 0 ? null : f.pos);
  }

  /** `pwrite(2)`: at an explicit offset; a stream refuses with ESPIPE. */
  pwrite(fd: number, buf: number, count: number, offset: number): number {
    const f = this.file(fd);
    if ((f.fmode & FMODE_WRITE) === 0 || f.ops.write === undefined) {
      throw new KernelError('EBADF', `fd ${fd} (${f.name}) is not open for writing`);
    }
    if ((f.fmode & FMODE_PWRITE) === 0)
      throw new KernelError('ESPIPE', `fd ${fd} (${f.name}) has no position`);
    checkCount(count);
    checkOffset(offset);
    return f.ops.write(f, this, buf, count, { value: offset });
  }

  /** `ioctl(2)`: a file without an ioctl handler answers ENOTTY. */
  ioctl(fd: number, cmd: number, arg = 0): number {
    const f = this.file(fd);
    if (f.ops.ioctl === undefined) throw new KernelError('ENOTTY', `fd ${fd} (${f.name}) has no ioctls`);
    return f.ops.ioctl(f, this, cmd, arg);
  }

  /**
   * `mmap(2)` of `length` bytes at file `offset` (page aligned). Returns the mapping (the model's VMA),
   * which bounds-checks every access.
   */
  mmap(fd: number, length: number, prot: number, flags: number, offset: number): MmioRegion {
    const f = this.file(fd);
    if (f.ops.mmap === undefined) throw new KernelError('ENODEV', `fd ${fd} (${f.name}) cannot be mapped`);
    if (!Number.isSafeInteger(length) || length <= 0)
      throw new KernelError('EINVAL', `mmap length ${length}`);
    checkOffset(offset);
    if (offset % (1 << PAGE_SHIFT) !== 0)
      throw new KernelError('EINVAL', `mmap offset ${offset} is not page aligned`);
    if ((flags & (MAP_SHARED | MAP_PRIVATE)) === 0)
      throw new KernelError('EINVAL', 'mmap needs MAP_SHARED or MAP_PRIVATE');
    return f.ops.mmap(f, { pgoff: offset / (1 << PAGE_SHIFT), length, prot, flags });
  }
}

function checkCount(count: number): void {
  if (!Number.isSafeInteger(count) || count < 0)
    throw new KernelError('EINVAL', `count ${count} is not a size`);
}

function checkOffset(offset: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0)
    throw new KernelError('EINVAL', `offset ${offset} is negative or not an integer`);
}
