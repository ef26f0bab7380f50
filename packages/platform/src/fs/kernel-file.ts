import { KernelError } from '../errno/kernel-error.js';
import type { MmioRegion } from '../io/mmio.js';
import type { UserMemory } from '../memory/user-memory.js';

// File mode bits (kernel `fmode_t`, include/linux/fs.h) the model uses.
/** `FMODE_READ` (include/linux/fs.h): the file was opened for reading. */
export const FMODE_READ = 1 << 0;
/** `FMODE_WRITE` (include/linux/fs.h): the file was opened for writing. */
export const FMODE_WRITE = 1 << 1;
/** The file has a position (lseek/pread make sense). */
export const FMODE_LSEEK = 1 << 2;
/** `FMODE_PREAD` (include/linux/fs.h): pread is allowed (a stream clears it: ESPIPE). */
export const FMODE_PREAD = 1 << 3;
/** `FMODE_PWRITE` (include/linux/fs.h): pwrite is allowed (a stream clears it: ESPIPE). */
export const FMODE_PWRITE = 1 << 4;
/** A stream: no position; read/write get a NULL `ppos` (set by `stream_open`). */
export const FMODE_STREAM = 1 << 21;

// mmap flags (include/uapi/asm-generic/mman-common.h, include/linux/mm.h).
/** `PROT_READ` (include/uapi/asm-generic/mman-common.h): 0x1, the mapping may be read. */
export const PROT_READ = 0x1;
/** `PROT_WRITE` (include/uapi/asm-generic/mman-common.h): 0x2, the mapping may be written. */
export const PROT_WRITE = 0x2;
/**
 * `MAP_SHARED` (include/uapi/linux/mman.h): 0x01, stores reach the object (a device BAR mapping must be
 * shared).
 */
export const MAP_SHARED = 0x01;
/** `MAP_PRIVATE` (include/uapi/linux/mman.h): 0x02, copy-on-write; vfio refuses it for BARs. */
export const MAP_PRIVATE = 0x02;

/** `loff_t *ppos`: the position a read/write works at and advances. */
export interface FilePosition {
  value: number;
}

/** What an mmap asks of a file (kernel `struct vm_area_struct`, the parts drivers look at). */
export interface VmArea {
  /** Offset into the file in pages (`vm_pgoff`). */
  readonly pgoff: number;
  /** Bytes to map (`vm_end - vm_start`). */
  readonly length: number;
  /** PROT_* bits. */
  readonly prot: number;
  /** MAP_SHARED or MAP_PRIVATE (VM_SHARED is set only for MAP_SHARED). */
  readonly flags: number;
}

/**
 * The calling task as a driver sees it (kernel `current`): its address space, for `copy_from_user` /
 * `copy_to_user`, and its fd table, for a handler that hands back a new file (`fd_install`), as
 * VFIO_DEVICE_FEATURE MIG_DEVICE_STATE does with a migration data fd.
 */
export interface Task {
  /** `current->mm`. */
  readonly mm: UserMemory;
  /** `get_unused_fd_flags` + `fd_install`: the new fd owns the caller's reference to `file`. */
  install(file: KernelFile<unknown>): number;
}

/**
 * A driver's file operations (kernel `struct file_operations`). Handlers get user pointers and the
 * calling task, like the kernel's `char __user *` + `current`: they do their own `copy_from_user` /
 * `copy_to_user` through `current.mm`, so a bad pointer faults where the kernel's would. Errors are
 * thrown as KernelError; the returned number is the non-negative result.
 */
export interface FileOperations<P> {
  /** `read`: up to `count` bytes to `buf`; `pos` is null for a stream. Returns bytes read (0 = EOF). */
  read?(file: KernelFile<P>, current: Task, buf: number, count: number, pos: FilePosition | null): number;
  /** `write`: `count` bytes from `buf`. Returns bytes written. */
  write?(file: KernelFile<P>, current: Task, buf: number, count: number, pos: FilePosition | null): number;
  /** `unlocked_ioctl`: `arg` is a user pointer or a value, as the command defines. */
  ioctl?(file: KernelFile<P>, current: Task, cmd: number, arg: number): number;
  /** `mmap`: returns the mapping, a window that checks every access against its own bounds. */
  mmap?(file: KernelFile<P>, vma: VmArea): MmioRegion;
  /** `release`: the last reference is gone. */
  release?(file: KernelFile<P>): void;
}

/**
 * An open file (kernel `struct file`): operations, private data, mode, position and a reference count.
 * Drivers create them (`anon_inode_getfile`) and may hold extra references (`get_file`/`fput`).
 */
export class KernelFile<P = unknown> {
  /** `f_pos`. */
  pos: FilePosition = { value: 0 };
  private refs = 1;

  constructor(
    /** Name for messages, e.g. `'hisi_acc_vf_mig'` or `'vfio-device'`. */
    readonly name: string,
    readonly ops: FileOperations<P>,
    /** `private_data`. */
    readonly privateData: P,
    /** FMODE_* bits. */
    readonly fmode: number,
  ) {}

  /** True once the last reference has been dropped. */
  get released(): boolean {
    return this.refs === 0;
  }

  /** Take a reference (`get_file`). */
  get(): this {
    if (this.refs === 0) throw new KernelError('EBADF', `${this.name}: file already released`);
    this.refs++;
    return this;
  }

  /** Drop a reference (`fput`); the last one calls `release`. */
  put(): void {
    if (this.refs === 0) return;
    if (--this.refs === 0) this.ops.release?.(this);
  }

  /** Make the file a stream (kernel `stream_open`): no position, pread/pwrite fail with ESPIPE. */
  streamOpen(): this {
    (this as { fmode: number }).fmode =
      (this.fmode & ~(FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE)) | FMODE_STREAM;
    return this;
  }
}

/** `anon_inode_getfile`: a new file with one reference. */
export function anonInodeGetFile<P>(
  name: string,
  ops: FileOperations<P>,
  priv: P,
  fmode: number,
): KernelFile<P> {
  return new KernelFile(name, ops, priv, fmode);
}
