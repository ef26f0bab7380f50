import {
  anonInodeGetFile,
  type FileOperations,
  FMODE_READ,
  FMODE_WRITE,
  KernelError,
  type KernelFile,
  type Task,
} from '@vfio-sim/platform';
import {
  VFIO_DEVICE_STATE_PRE_COPY,
  VFIO_DEVICE_STATE_PRE_COPY_P2P,
  VFIO_MIG_GET_PRECOPY_INFO,
} from '@vfio-sim/vfio-core';
import { migStateName } from '../fsm/mig-state.js';
import { vfio_precopy_info } from '../uapi/precopy-info.js';

/** Options of a migration data file. */
export interface VfioMigrationFileOptions {
  /** The anon inode name (`"hisi_acc_vf_mig"`, `"mlx5vf_mig"`, `"mtty_mig"`), for messages. */
  readonly name: string;
  /** Bytes the file's buffer holds (the device state size). A write past it is ENOMEM. */
  readonly capacity: number;
  /**
   * The device's current migration state (read under the state mutex in C): PRECOPY_INFO is valid only
   * in PRE_COPY / PRE_COPY_P2P.
   */
  readonly migState?: () => number;
  /** `dirty_bytes` for PRECOPY_INFO (state changed since the initial bytes); default 0 (hisi, mtty). */
  readonly dirtyBytes?: () => number;
  /**
   * Return ENOMSG instead of 0 from a read at the temporary end of the pre-copy data, as the uAPI text
   * asks. Default false: hisi_acc and mtty return 0 there (QEMU accepts both).
   */
  readonly precopyEnomsg?: boolean;
  /**
   * Resuming files: called after each write with every byte received so far (the new bytes included);
   * throwing rejects the write. Kernel counterpart: hisi's `vf_qm_check_match()` call in the resume write.
   */
  readonly checkData?: (received: Uint8Array) => void;
}

/**
 * A v2 migration data file, the driver's side of a data fd: a buffer of device state, the valid length
 * and a `disabled` flag, behind a stream file (no position: pread/pwrite fail with ESPIPE).
 *
 * - A **saving** file is read-only. `read()` copies from the file position up to the valid length and
 *   returns 0 at the end (also the temporary end of pre-copy, unless `precopyEnomsg`); a position past
 *   the valid length is EINVAL; a disabled file is ENODEV. VFIO_MIG_GET_PRECOPY_INFO reports
 *   `initial_bytes` = valid − position and `dirty_bytes`; other ioctls are ENOTTY.
 * - A **resuming** file is write-only. `write()` appends at the position; beyond the capacity is ENOMEM
 *   (nothing consumed), disabled is ENODEV, a fault in the user buffer EFAULT. `checkData` then sees
 *   everything received; if it throws, the write fails with EFAULT (the kernel's errno) — and, unlike
 *   hisi_acc and mtty, the rejected bytes are **not** consumed: position, length and buffer are as before.
 * - `disable()` (leaving the saving group or RESUMING, reset, device close): disabled, length 0,
 *   position 0. Closing the fd (last reference) disables it too.
 *
 * Kernel counterpart: `struct hisi_acc_vf_migration_file` with `hisi_acc_vf_save_read`,
 * `hisi_acc_vf_precopy_ioctl`, `hisi_acc_vf_resume_write`, `hisi_acc_vf_disable_fd` (and the same shape in
 * mtty.c and mlx5's `mlx5_vf_migration_file`).
 */
export class VfioMigrationFile {
  /** The file (`migf->filp`). The creator holds the first reference and hands it to the core. */
  readonly filp: KernelFile<VfioMigrationFile>;
  /** `disabled`: the session ended; every access fails with ENODEV. */
  disabled = false;
  /** `total_length`: valid bytes in {@link data}. */
  totalLength = 0;
  /** The buffer (`vf_data`). */
  readonly data: Uint8Array;

  private constructor(
    /** Which side of the stream this file is. */
    readonly kind: 'saving' | 'resuming',
    private readonly options: VfioMigrationFileOptions,
  ) {
    this.data = new Uint8Array(options.capacity);
    const ops = kind === 'saving' ? SAVE_FOPS : RESUME_FOPS;
    this.filp = anonInodeGetFile(
      options.name,
      ops,
      this,
      kind === 'saving' ? FMODE_READ : FMODE_WRITE,
    ).streamOpen();
  }

  /**
   * A new saving (read-only) file. Kernel counterpart: `hisi_acc_open_saving_migf()` —
   * `anon_inode_getfile(name, &fops, migf, O_RDONLY)` + `stream_open()`.
   */
  static saving(options: VfioMigrationFileOptions): VfioMigrationFile {
    return new VfioMigrationFile('saving', options);
  }

  /** A new resuming (write-only) file. Kernel counterpart: `hisi_acc_vf_pci_resume()`. */
  static resuming(options: VfioMigrationFileOptions): VfioMigrationFile {
    return new VfioMigrationFile('resuming', options);
  }

  /** The file position (`filp->f_pos`): bytes read from (or written to) the stream so far. */
  get position(): number {
    return this.filp.pos.value;
  }

  /** The valid bytes (`vf_data` up to `total_length`). */
  get bytes(): Uint8Array {
    return this.data.subarray(0, this.totalLength);
  }

  /**
   * Saving side: put `bytes` into the buffer at `at` and make the valid length end there (the driver
   * fills match data at PRE_COPY, then the full state at STOP_COPY into the same file).
   * @throws KernelError ENOMEM if it does not fit; ENODEV if the file is disabled.
   */
  fill(bytes: Uint8Array, at = 0): void {
    if (this.disabled) throw new KernelError('ENODEV', `${this.options.name}: file disabled`);
    if (at + bytes.length > this.data.length) {
      throw new KernelError('ENOMEM', `${this.options.name}: ${at + bytes.length} > ${this.data.length}`);
    }
    this.data.set(bytes, at);
    this.totalLength = at + bytes.length;
  }

  /** `hisi_acc_vf_disable_fd()`: end the session (disabled, length 0, position 0). */
  disable(): void {
    this.disabled = true;
    this.totalLength = 0;
    this.filp.pos.value = 0;
  }

  /** The `read` file operation (the file is a stream: the position is the file's own). */
  read(current: Task, buf: number, count: number): number {
    const pos = this.filp.pos;
    if (pos.value > this.totalLength) {
      throw new KernelError('EINVAL', `${this.options.name}: position ${pos.value} > ${this.totalLength}`);
    }
    if (this.disabled) throw new KernelError('ENODEV', `${this.options.name}: file disabled`);
    const n = Math.min(this.totalLength - pos.value, count);
    if (n === 0 && this.options.precopyEnomsg === true && this.inPrecopy()) {
      throw new KernelError('ENOMSG', `${this.options.name}: no pre-copy data for now`);
    }
    if (n > 0) {
      current.mm.copyToUser(buf, this.data.subarray(pos.value, pos.value + n));
      pos.value += n;
    }
    return n;
  }

  /** The `write` file operation. */
  write(current: Task, buf: number, count: number): number {
    const pos = this.filp.pos;
    const end = pos.value + count;
    if (pos.value < 0 || !Number.isSafeInteger(end)) {
      throw new KernelError('EINVAL', `${this.options.name}: position ${pos.value} + ${count} overflows`);
    }
    if (end > this.data.length) {
      throw new KernelError('ENOMEM', `${this.options.name}: ${end} bytes > ${this.data.length}`);
    }
    if (this.disabled) throw new KernelError('ENODEV', `${this.options.name}: file disabled`);
    const bytes = current.mm.copyFromUser(buf, count);
    const before = this.data.slice(pos.value, end);
    this.data.set(bytes, pos.value);
    try {
      this.options.checkData?.(this.data.subarray(0, this.totalLength + count));
    } catch (e) {
      this.data.set(before, pos.value);
      if (!(e instanceof KernelError)) throw e;
      throw new KernelError('EFAULT', `${this.options.name}: data rejected: ${e.message}`, {
        cause: e.errno,
      });
    }
    pos.value = end;
    this.totalLength += count;
    return count;
  }

  /** The `unlocked_ioctl` file operation: VFIO_MIG_GET_PRECOPY_INFO only. */
  precopyInfo(current: Task, cmd: number, arg: number): number {
    if (cmd !== VFIO_MIG_GET_PRECOPY_INFO) {
      throw new KernelError('ENOTTY', `${this.options.name}: ioctl 0x${cmd.toString(16)}`);
    }
    const info = current.mm.readStruct(vfio_precopy_info, arg);
    if (info.argsz < vfio_precopy_info.size) {
      throw new KernelError('EINVAL', `vfio_precopy_info argsz ${info.argsz} < ${vfio_precopy_info.size}`);
    }
    if (!this.inPrecopy()) {
      const state = this.options.migState?.();
      throw new KernelError(
        'EINVAL',
        `${this.options.name}: PRECOPY_INFO in state ${state === undefined ? '?' : migStateName(state)}`,
      );
    }
    if (this.disabled) throw new KernelError('ENODEV', `${this.options.name}: file disabled`);
    const pos = this.filp.pos.value;
    if (pos > this.totalLength) {
      throw new KernelError('EINVAL', `${this.options.name}: position ${pos} > ${this.totalLength}`);
    }
    current.mm.copyToUser(
      arg,
      vfio_precopy_info.encode({
        ...info,
        initial_bytes: BigInt(this.totalLength - pos),
        dirty_bytes: BigInt(this.options.dirtyBytes?.() ?? 0),
      }),
    );
    return 0;
  }

  private inPrecopy(): boolean {
    const s = this.options.migState?.();
    return s === VFIO_DEVICE_STATE_PRE_COPY || s === VFIO_DEVICE_STATE_PRE_COPY_P2P;
  }
}

function noPosition(name: string, pos: unknown): void {
  // The VFS already refuses pread/pwrite on a stream; the drivers check again (`if (pos) return -ESPIPE`).
  if (pos !== null) throw new KernelError('ESPIPE', `${name}: positional I/O on a stream`);
}

const SAVE_FOPS: FileOperations<VfioMigrationFile> = {
  read(file, current, buf, count, pos) {
    noPosition(file.name, pos);
    return file.privateData.read(current, buf, count);
  },
  ioctl(file, current, cmd, arg) {
    return file.privateData.precopyInfo(current, cmd, arg);
  },
  release(file) {
    file.privateData.disable();
  },
};

const RESUME_FOPS: FileOperations<VfioMigrationFile> = {
  write(file, current, buf, count, pos) {
    noPosition(file.name, pos);
    return file.privateData.write(current, buf, count);
  },
  release(file) {
    file.privateData.disable();
  },
};
