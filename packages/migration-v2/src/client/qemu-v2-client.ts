import { KernelError } from '@vfio-sim/platform';
import {
  VFIO_DEVICE_STATE_ERROR as ERROR,
  VFIO_DEVICE_STATE_PRE_COPY as PRE_COPY,
  VFIO_DEVICE_STATE_PRE_COPY_P2P as PRE_COPY_P2P,
  type QemuFileReader,
  type QemuFileWriter,
  VFIO_DEVICE_STATE_RESUMING as RESUMING,
  VFIO_DEVICE_STATE_RUNNING as RUNNING,
  VFIO_DEVICE_STATE_RUNNING_P2P as RUNNING_P2P,
  VFIO_DEVICE_STATE_STOP as STOP,
  VFIO_DEVICE_STATE_STOP_COPY as STOP_COPY,
  VFIO_MIG_FLAG_DEV_CONFIG_STATE,
  VFIO_MIG_FLAG_DEV_DATA_STATE,
  VFIO_MIG_FLAG_DEV_INIT_DATA_SENT,
  VFIO_MIG_FLAG_DEV_SETUP_STATE,
  VFIO_MIG_FLAG_END_OF_STATE,
  VFIO_MIG_GET_PRECOPY_INFO,
  VFIO_MIGRATION_P2P,
  VFIO_MIGRATION_PRE_COPY,
  VFIO_MIGRATION_STOP_COPY,
  type VfioDeviceConfigOps,
  type VfioDeviceHandle,
} from '@vfio-sim/vfio-core';
import { migStateName } from '../fsm/mig-state.js';
import { vfio_precopy_info } from '../uapi/precopy-info.js';

/** `VFIO_MIG_DEFAULT_DATA_BUFFER_SIZE`: 1 MiB. */
export const VFIO_MIG_DEFAULT_DATA_BUFFER_SIZE = 1 << 20;
/** `VFIO_MIG_STOP_COPY_SIZE`: 100 GiB, the estimate when MIG_DATA_SIZE fails (never underestimate). */
export const VFIO_MIG_STOP_COPY_SIZE = 100 * 2 ** 30;

/** Bytes copied to user memory per write burst on load. */
const LOAD_CHUNK = 64 << 10;

/** The runstate a VM stop goes to (decides STOP_COPY vs STOP for a device in pre-copy). */
export type QemuRunState = 'finish-migrate' | 'paused' | 'other';

/** Options of {@link QemuV2Client}. */
export interface QemuV2ClientOptions {
  /** The `switchover-ack` migration capability (both sides). Default false. */
  readonly switchoverAck?: boolean;
  /** Largest read of the data fd (QEMU's data buffer cap). Default 1 MiB. */
  readonly maxBufferSize?: number;
  /**
   * The device's config state as the VMM emulates it, carried in the CONFIG section
   * (`vfio_save_config` / `vfio_load_config`); without it the section is empty.
   */
  readonly config?: VfioDeviceConfigOps;
  /**
   * Called after the recovery reset the device (VFIO_DEVICE_RESET succeeded), with the error of the SET
   * that led to it: the device lost its state under whoever used it. QEMU has no such hook (it only
   * logs "Resetting device"); the model's VMM uses it to attribute what the guest loses.
   */
  readonly onReset?: (cause: KernelError) => void;
}

/**
 * QEMU's v2 VFIO migration client (hw/vfio/migration.c, QEMU 8.1–10.x) over a device fd: realize (the
 * MIGRATION feature), the save sequence — `save_setup` (RUNNING → PRE_COPY with the initial/dirty byte
 * estimates from PRECOPY_INFO), `save_live_iterate` (one read per call), the VM-state handler (stop →
 * STOP_COPY or STOP), `save_live_complete_precopy` (read the data fd until 0), `save_state`,
 * `save_cleanup` (STOP_COPY → STOP, close the fd) — and the load sequence — `load_setup` (→ RESUMING),
 * `load_state` (DATA records written to the fd), `load_cleanup`, VM start (→ RUNNING).
 *
 * Stream framing inside each section (§3.1): SETUP, END; [DATA, be64 n, n bytes]…, END or INIT_DATA_SENT;
 * CONFIG, [the device config state, `options.config`], END.
 *
 * Recovery (`vfio_migration_set_state(new, recover)`, §6.1): QEMU-10 skips a set to the cached state; a
 * failed SET retries `recover` unless it is ERROR; if that fails too (or recover is ERROR) the device is
 * reset (VFIO_DEVICE_RESET; a failing reset is `hw_error`, here EIO with `context.hwError`) and the cache
 * says RUNNING. The original errno is thrown in every failure case. A new data fd while one is held is
 * closed and EBADF is thrown ("data_fd out of sync").
 *
 * User memory: the data buffer lives from `save_setup` to `save_cleanup` (as QEMU's `data_buffer`); a
 * small scratch buffer (PRECOPY_INFO, load chunks) lives until {@link close}. A client that is closed
 * after its migration leaves the process's heap as it found it.
 *
 * Kernel/QEMU counterpart: `VFIOMigration` and the `SaveVMHandlers` of hw/vfio/migration.c.
 */
export class QemuV2Client {
  /** `migration->mig_flags` (GET MIGRATION at realize). */
  readonly migrationFlags: number;
  /** `migration->device_state`: QEMU's cached device state (RUNNING assumed at realize). */
  deviceState: number = RUNNING;
  /** `migration->data_fd` (undefined = -1). */
  dataFd: number | undefined;
  /** `precopy_init_size` / `precopy_dirty_size`: the cached PRECOPY_INFO estimates. */
  precopyInitSize = 0;
  precopyDirtySize = 0;
  /** `stop_copy_size` from MIG_DATA_SIZE (setup). */
  stopCopySize = VFIO_MIG_DEFAULT_DATA_BUFFER_SIZE;
  /** `initial_data_sent`: INIT_DATA_SENT was put on the stream. */
  initialDataSent = false;
  /** Destination: the INIT_DATA_SENT record was loaded (switchover approved). */
  switchoverApproved = false;
  /** Device resets this client issued (recovery). */
  resets = 0;
  private dataBuffer = 0;
  private scratchVa = 0;
  private scratchSize = 0;
  private dataBufferSize = 0;
  private readonly switchoverAck: boolean;
  private readonly maxBufferSize: number;
  private readonly config: VfioDeviceConfigOps | undefined;
  private readonly onReset: ((cause: KernelError) => void) | undefined;

  /**
   * Realize: GET MIGRATION. ENOTTY means no migration support in the kernel; any failure, or flags
   * without STOP_COPY, means the device is not migratable.
   * @throws KernelError the GET errno; EOPNOTSUPP without STOP_COPY.
   */
  constructor(
    readonly handle: VfioDeviceHandle,
    options: QemuV2ClientOptions = {},
  ) {
    this.migrationFlags = handle.getMigrationFlags();
    if ((this.migrationFlags & VFIO_MIGRATION_STOP_COPY) === 0) {
      throw new KernelError('EOPNOTSUPP', `${handle.name}: migration flags lack STOP_COPY`);
    }
    this.switchoverAck = options.switchoverAck ?? false;
    this.maxBufferSize = options.maxBufferSize ?? VFIO_MIG_DEFAULT_DATA_BUFFER_SIZE;
    this.config = options.config;
    this.onReset = options.onReset;
  }

  private get process() {
    return this.handle.process;
  }

  /** Whether the cached state is PRE_COPY or PRE_COPY_P2P (`vfio_device_state_is_precopy`). */
  get inPrecopy(): boolean {
    return this.deviceState === PRE_COPY || this.deviceState === PRE_COPY_P2P;
  }

  /**
   * `vfio_migration_set_state(new, recover)`.
   * @throws KernelError the original errno of the failed SET (after recovery); EBADF if the kernel
   * returned a data fd while one is held; EIO with `hwError` if the recovery reset failed.
   */
  setState(newState: number, recover: number): void {
    if (newState === this.deviceState) return;
    let fd: number | undefined;
    try {
      fd = this.handle.setMigState(newState);
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
      if (recover !== ERROR && this.tryRecover(recover)) throw e;
      this.resetDevice(e);
      throw e;
    }
    this.deviceState = newState;
    if (fd !== undefined) {
      if (this.dataFd !== undefined) {
        this.process.close(fd);
        throw new KernelError('EBADF', `${this.handle.name}: data_fd out of sync`);
      }
      this.dataFd = fd;
    }
  }

  /** `vfio_migration_set_state_or_reset(new)`: recover = ERROR (reset on failure). */
  setStateOrReset(newState: number): void {
    this.setState(newState, ERROR);
  }

  // ---- save (source) ----

  /**
   * `vfio_save_setup`: SETUP tag; MIG_DATA_SIZE → buffer = min(1 MiB, stop_copy_size); with PRE_COPY:
   * RUNNING → PRE_COPY (recover RUNNING) and PRECOPY_INFO (a STOP device skips this; any other → EINVAL);
   * END_OF_STATE.
   */
  saveSetup(out: QemuFileWriter): void {
    out.putBe64(VFIO_MIG_FLAG_DEV_SETUP_STATE);
    this.stopCopySize = this.queryStopCopySize(this.stopCopySize);
    const size = Math.min(this.maxBufferSize, this.stopCopySize);
    if (size === 0) throw new KernelError('ENOMEM', 'zero-sized migration data buffer');
    this.freeDataBuffer();
    this.dataBuffer = this.process.mm.alloc(size, 8);
    this.dataBufferSize = size;
    if ((this.migrationFlags & VFIO_MIGRATION_PRE_COPY) !== 0) {
      if (this.deviceState === RUNNING) {
        this.setState(PRE_COPY, RUNNING);
        this.queryPrecopySize();
      } else if (this.deviceState !== STOP) {
        throw new KernelError('EINVAL', `save_setup in state ${migStateName(this.deviceState)}`);
      }
    }
    out.putBe64(VFIO_MIG_FLAG_END_OF_STATE);
  }

  /** `vfio_state_pending_estimate`: the cached pre-copy bytes (0 unless in a pre-copy state). */
  statePendingEstimate(): number {
    return this.inPrecopy ? this.precopyInitSize + this.precopyDirtySize : 0;
  }

  /**
   * `vfio_state_pending_exact` (QEMU-10): MIG_DATA_SIZE (100 GiB if it fails); refreshes the pre-copy
   * estimates when in pre-copy. Returns the stop-copy bytes.
   */
  statePendingExact(): number {
    const size = this.queryStopCopySize(VFIO_MIG_STOP_COPY_SIZE);
    if (this.inPrecopy) this.queryPrecopySize();
    return size;
  }

  /** `vfio_is_active_iterate`: iterate runs only in a pre-copy state. */
  isActiveIterate(): boolean {
    return this.inPrecopy;
  }

  /**
   * `vfio_save_iterate`: one read of the data fd (DATA record if n > 0), update the estimates, then
   * INIT_DATA_SENT (once, with switchover-ack, when the initial bytes are drained) or END_OF_STATE.
   * @returns true when both estimates are 0 ("done for now").
   * @throws KernelError a read errno other than ENOMSG.
   */
  saveIterate(out: QemuFileWriter): boolean {
    const n = this.saveBlock(out);
    if (n === 0) {
      this.precopyInitSize = 0;
      this.precopyDirtySize = 0;
    } else {
      const fromInit = Math.min(n, this.precopyInitSize);
      this.precopyInitSize -= fromInit;
      this.precopyDirtySize = Math.max(0, this.precopyDirtySize - (n - fromInit));
    }
    if (this.switchoverAck && this.precopyInitSize === 0 && !this.initialDataSent) {
      out.putBe64(VFIO_MIG_FLAG_DEV_INIT_DATA_SENT);
      this.initialDataSent = true;
    } else {
      out.putBe64(VFIO_MIG_FLAG_END_OF_STATE);
    }
    return this.precopyInitSize === 0 && this.precopyDirtySize === 0;
  }

  /** Whether the device has the P2P flag, so QEMU registers the prepare handler for it. */
  get hasP2p(): boolean {
    return (this.migrationFlags & VFIO_MIGRATION_P2P) !== 0;
  }

  /**
   * The VM-state prepare handler (`vfio_vmstate_change_prepare`, registered only for a device with
   * VFIO_MIGRATION_P2P): whether the VM starts or stops, the device goes to PRE_COPY_P2P if it is in
   * PRE_COPY, else RUNNING_P2P — every P2P device is quiesced before any reaches STOP/STOP_COPY, and
   * reaches RUNNING_P2P before any reaches RUNNING. Set-or-reset.
   * @throws KernelError EINVAL for a device without P2P (QEMU never calls it for one); the set's errno.
   */
  vmStateChangePrepare(): void {
    if (!this.hasP2p) throw new KernelError('EINVAL', `${this.handle.name}: no P2P, no prepare handler`);
    this.setStateOrReset(this.deviceState === PRE_COPY ? PRE_COPY_P2P : RUNNING_P2P);
  }

  /**
   * The VM-state handler (`vfio_vmstate_change`): running → RUNNING; stopping → STOP_COPY if the device
   * is in pre-copy and the runstate is finish-migrate or paused, else STOP. Set-or-reset.
   */
  vmStateChange(running: boolean, runstate: QemuRunState = 'finish-migrate'): void {
    if (running) {
      this.setStateOrReset(RUNNING);
      return;
    }
    const toCopy = this.inPrecopy && (runstate === 'finish-migrate' || runstate === 'paused');
    this.setStateOrReset(toCopy ? STOP_COPY : STOP);
  }

  /**
   * `vfio_save_complete_precopy`: → STOP_COPY (recover STOP; from STOP this opens the data fd), read the
   * fd until it returns 0 (DATA records), END_OF_STATE. Returns the device bytes moved.
   */
  saveComplete(out: QemuFileWriter): number {
    this.setState(STOP_COPY, STOP);
    let total = 0;
    for (;;) {
      const n = this.saveBlock(out);
      if (n === 0) break;
      total += n;
    }
    out.putBe64(VFIO_MIG_FLAG_END_OF_STATE);
    return total;
  }

  /**
   * `vfio_save_state` → `vfio_save_device_config_state`: the CONFIG section — the tag, the device's
   * config state (`options.config.save`: QEMU's `vfio_pci_save_config`, nothing without it), END.
   */
  saveState(out: QemuFileWriter): void {
    out.putBe64(VFIO_MIG_FLAG_DEV_CONFIG_STATE);
    this.config?.save(out);
    out.putBe64(VFIO_MIG_FLAG_END_OF_STATE);
  }

  /**
   * `vfio_save_cleanup`: STOP_COPY → STOP (set-or-reset, outside downtime), free the data buffer, close
   * the data fd.
   */
  saveCleanup(): void {
    try {
      if (this.deviceState === STOP_COPY) this.setStateOrReset(STOP);
    } finally {
      this.freeDataBuffer();
      this.closeDataFd();
      this.precopyInitSize = 0;
      this.precopyDirtySize = 0;
    }
  }

  /** The migration-state notifier on a failed migration: back to RUNNING (set-or-reset). */
  migrationFailed(): void {
    this.setStateOrReset(RUNNING);
  }

  // ---- load (destination) ----

  /** `vfio_load_setup`: → RESUMING (recover: the cached state); keeps the new data fd. */
  loadSetup(): void {
    this.setState(RESUMING, this.deviceState);
  }

  /**
   * `vfio_load_state`: one section. SETUP must be followed by END_OF_STATE; DATA records are written to
   * the data fd whole (several writes if needed); CONFIG (the config state, `options.config.load`) ends the
   * section; INIT_DATA_SENT
   * approves switchover (valid only with PRE_COPY and switchover-ack) and ends the section.
   * @returns device bytes written.
   * @throws KernelError EINVAL for a malformed section or unknown tag; the data fd's write errno.
   */
  loadState(input: QemuFileReader): number {
    let total = 0;
    let tag = input.getBe64();
    while (tag !== VFIO_MIG_FLAG_END_OF_STATE) {
      switch (tag) {
        case VFIO_MIG_FLAG_DEV_CONFIG_STATE:
          // vfio_load_device_config_state: the config state, then END_OF_STATE
          this.config?.load(input);
          if (input.getBe64() !== VFIO_MIG_FLAG_END_OF_STATE) {
            throw new KernelError('EINVAL', 'config section not terminated by END_OF_STATE');
          }
          return total;
        case VFIO_MIG_FLAG_DEV_SETUP_STATE:
          if (input.getBe64() !== VFIO_MIG_FLAG_END_OF_STATE) {
            throw new KernelError('EINVAL', 'section not terminated by END_OF_STATE');
          }
          return total;
        case VFIO_MIG_FLAG_DEV_DATA_STATE: {
          const size = input.getBe64();
          if (size > BigInt(Number.MAX_SAFE_INTEGER)) throw new KernelError('EINVAL', `DATA size ${size}`);
          total += this.loadBuffer(input.getBuffer(Number(size)));
          break;
        }
        case VFIO_MIG_FLAG_DEV_INIT_DATA_SENT:
          if ((this.migrationFlags & VFIO_MIGRATION_PRE_COPY) === 0 || !this.switchoverAck) {
            throw new KernelError('EINVAL', 'INIT_DATA_SENT without PRE_COPY and switchover-ack');
          }
          this.switchoverApproved = true;
          return total;
        default:
          throw new KernelError('EINVAL', `unknown tag 0x${tag.toString(16)}`);
      }
      tag = input.getBe64();
    }
    return total;
  }

  /** `vfio_load_cleanup`: close the data fd (the device stays in its state). */
  loadCleanup(): void {
    this.closeDataFd();
  }

  /**
   * Give back everything the client holds: the data fd, the data buffer and the scratch buffer (the
   * device keeps its state). The client must not be used afterwards; closing twice does nothing.
   *
   * QEMU counterpart: `vfio_migration_exit` (device unrealize) with `vfio_save_cleanup`'s frees.
   */
  close(): void {
    try {
      this.closeDataFd();
    } finally {
      this.freeDataBuffer();
      if (this.scratchVa !== 0) this.process.mm.free(this.scratchVa);
      this.scratchVa = 0;
      this.scratchSize = 0;
    }
  }

  // ---- helpers ----

  /** Close QEMU's copy of the data fd, if any. */
  closeDataFd(): void {
    if (this.dataFd === undefined) return;
    const fd = this.dataFd;
    this.dataFd = undefined;
    this.process.close(fd);
  }

  /**
   * `vfio_query_stop_copy_size`: VFIO_DEVICE_FEATURE GET MIG_DATA_SIZE, or `fallback` if it fails
   * (save_setup keeps its buffer size, the exact pending query assumes 100 GiB).
   */
  private queryStopCopySize(fallback: number): number {
    try {
      return this.handle.getMigDataSize();
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
      return fallback;
    }
  }

  /** `vfio_query_precopy_size`: PRECOPY_INFO on the data fd; any failure zeroes both estimates. */
  queryPrecopySize(): void {
    this.precopyInitSize = 0;
    this.precopyDirtySize = 0;
    if (this.dataFd === undefined) return;
    const mm = this.process.mm;
    const va = this.scratch(vfio_precopy_info.size);
    mm.copyToUser(
      va,
      vfio_precopy_info.encode({ ...vfio_precopy_info.zero(), argsz: vfio_precopy_info.size }),
    );
    try {
      this.process.ioctl(this.dataFd, VFIO_MIG_GET_PRECOPY_INFO, va);
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
      return;
    }
    const info = mm.readStruct(vfio_precopy_info, va);
    this.precopyInitSize = Number(info.initial_bytes);
    this.precopyDirtySize = Number(info.dirty_bytes);
  }

  /** `vfio_save_block`: one read; n > 0 → DATA, be64 n, bytes. ENOMSG counts as 0. */
  private saveBlock(out: QemuFileWriter): number {
    if (this.dataFd === undefined) throw new KernelError('EBADF', `${this.handle.name}: no data fd`);
    let n: number;
    try {
      n = this.process.read(this.dataFd, this.dataBuffer, this.dataBufferSize);
    } catch (e) {
      if (e instanceof KernelError && e.errno === 'ENOMSG') return 0;
      throw e;
    }
    if (n > 0) {
      out.putBe64(VFIO_MIG_FLAG_DEV_DATA_STATE);
      out.putBe64(BigInt(n));
      out.putBuffer(this.process.mm.copyFromUser(this.dataBuffer, n));
    }
    return n;
  }

  /** `vfio_load_buffer`: write `bytes` to the data fd until all are consumed. */
  private loadBuffer(bytes: Uint8Array): number {
    if (this.dataFd === undefined) throw new KernelError('EBADF', `${this.handle.name}: no data fd`);
    if (bytes.length === 0) return 0;
    const chunk = Math.min(bytes.length, LOAD_CHUNK);
    const va = this.scratch(chunk);
    let done = 0;
    while (done < bytes.length) {
      const len = Math.min(chunk, bytes.length - done);
      this.process.mm.copyToUser(va, bytes.subarray(done, done + len));
      let put = 0;
      while (put < len) {
        const n = this.process.write(this.dataFd, va + put, len - put);
        if (n <= 0) throw new KernelError('EIO', `data fd accepted ${n} bytes`);
        put += n;
      }
      done += len;
    }
    return done;
  }

  /** SET `recover` after a failed SET; true if the device took it. */
  private tryRecover(recover: number): boolean {
    let fd: number | undefined;
    try {
      fd = this.handle.setMigState(recover);
    } catch (e) {
      if (e instanceof KernelError) return false;
      throw e;
    }
    if (fd !== undefined) this.process.close(fd);
    this.deviceState = recover;
    return true;
  }

  /** A user buffer of QEMU's own (the precopy struct, the load chunk), kept until {@link close}. */
  private scratch(size: number): number {
    if (size > this.scratchSize) {
      const grown = Math.max(size, 4096);
      const va = this.process.mm.alloc(grown, 8);
      if (this.scratchVa !== 0) this.process.mm.free(this.scratchVa);
      this.scratchVa = va;
      this.scratchSize = grown;
    }
    return this.scratchVa;
  }

  /** `g_free(migration->data_buffer)`. */
  private freeDataBuffer(): void {
    if (this.dataBuffer !== 0) this.process.mm.free(this.dataBuffer);
    this.dataBuffer = 0;
    this.dataBufferSize = 0;
  }

  /** The reset step of the recovery: VFIO_DEVICE_RESET; failure is hw_error. Cache RUNNING. */
  private resetDevice(cause: KernelError): void {
    try {
      this.handle.reset();
    } catch (e) {
      throw new KernelError('EIO', `hw_error: ${this.handle.name} reset failed after ${cause.errno}`, {
        hwError: true,
        cause: String(e),
      });
    }
    this.resets++;
    this.deviceState = RUNNING;
    this.onReset?.(cause);
  }
}
