import { KernelError, type KernelFile, Process, UserMemory } from '@vfio-sim/platform';
import {
  PciHost,
  VFIO_DEVICE_RESET,
  Vfio,
  VfioDevice,
  type VfioDeviceOps,
  type VfioMigrationOps,
} from '@vfio-sim/vfio-core';
import { VfioMigrationFile } from '../driver/migration-file.js';
import { vfioMigSetStateLoop } from '../driver/set-state-loop.js';
import {
  VFIO_DEVICE_STATE_ERROR as ERROR,
  migStateName,
  VFIO_DEVICE_STATE_PRE_COPY as PRE_COPY,
  VFIO_DEVICE_STATE_PRE_COPY_P2P as PRE_COPY_P2P,
  VFIO_DEVICE_STATE_RESUMING as RESUMING,
  VFIO_DEVICE_STATE_RUNNING as RUNNING,
  VFIO_DEVICE_STATE_RUNNING_P2P as RUNNING_P2P,
  VFIO_DEVICE_STATE_STOP as STOP,
  VFIO_DEVICE_STATE_STOP_COPY as STOP_COPY,
  VFIO_MIGRATION_PRE_COPY,
  VFIO_MIGRATION_STOP_COPY,
  type VfioDeviceMigState,
} from '../fsm/mig-state.js';

/** The first byte of every fake state: the "magic" the resume side checks. */
export const FAKE_MAGIC = 0x5a;

/**
 * A v2 device shaped like mtty (the real sample driver is `@vfio-sim/mtty`, a layer above; this layer's
 * tests cannot import it): its state is a byte string; PRE_COPY offers the first `precopyBytes` (the
 * "initial" data), STOP_COPY the whole state into the same file; RESUMING accepts one state (first byte
 * must be FAKE_MAGIC); RESUMING → STOP installs it (nothing written: kept; a partial state: EINVAL). Fault
 * hooks per arc, an arc log, the ENOMSG opt-in and any flag set — what the loop's and the client's unit
 * tests need.
 */
export class FakeV2Device extends VfioDevice {
  migState: number = RUNNING;
  /** The device's internal state. */
  state: Uint8Array;
  /** Arcs performed, `FROM>TO`. */
  readonly arcs: string[] = [];
  /** Arcs that fail (errno) the next time they run. */
  readonly failArcs = new Map<string, 'EIO' | 'EBUSY'>();
  /** Arcs that fail and leave the device in ERROR. */
  readonly losingArcs = new Set<string>();
  /** A driver bug: this arc returns a file although it is not a session-opening one. */
  buggyArc: string | undefined;
  /** `reset` answers this errno (a device that cannot be reset). */
  resetFails = false;
  /** GET MIG_DATA_SIZE fails with EIO. */
  dataSizeFails = false;
  saving: VfioMigrationFile | undefined;
  resuming: VfioMigrationFile | undefined;
  running = true;

  constructor(
    name: string,
    flags: number,
    state: Uint8Array,
    readonly precopyBytes: number,
    readonly precopyEnomsg = false,
  ) {
    super(name, FAKE_OPS);
    this.state = state;
    this.migrationFlags = flags;
    this.migOps = FAKE_MIG_OPS;
  }

  disableFds(): void {
    for (const f of [this.saving, this.resuming]) {
      if (f === undefined) continue;
      f.disable();
      f.filp.put();
    }
    this.saving = undefined;
    this.resuming = undefined;
  }

  private newSaving(bytes: Uint8Array): KernelFile<unknown> {
    const f = VfioMigrationFile.saving({
      name: 'fake_mig',
      capacity: this.state.length,
      migState: () => this.migState,
      precopyEnomsg: this.precopyEnomsg,
    });
    f.fill(bytes);
    this.saving = f;
    f.filp.get();
    return f.filp;
  }

  step(cur: VfioDeviceMigState, next: VfioDeviceMigState): KernelFile<unknown> | undefined {
    const arc = `${migStateName(cur)}>${migStateName(next)}`;
    const errno = this.failArcs.get(arc);
    if (errno !== undefined) {
      this.failArcs.delete(arc);
      throw new KernelError(errno, `injected failure at ${arc}`);
    }
    if (this.losingArcs.delete(arc)) {
      this.migState = ERROR;
      throw new KernelError('EIO', `injected state loss at ${arc}`);
    }
    this.arcs.push(arc);
    if (arc === this.buggyArc) return this.newSaving(new Uint8Array(0));
    switch (arc) {
      case 'RUNNING>RUNNING_P2P':
      case 'RUNNING_P2P>RUNNING':
      case 'RUNNING_P2P>STOP':
      case 'STOP>RUNNING_P2P':
      case 'PRE_COPY>PRE_COPY_P2P':
      case 'PRE_COPY_P2P>PRE_COPY':
        this.running = next === RUNNING || next === RUNNING_P2P || next === PRE_COPY || next === PRE_COPY_P2P;
        return undefined;
      case 'RUNNING>STOP':
        this.running = false;
        return undefined;
      case 'STOP>RUNNING':
        this.running = true;
        return undefined;
      case 'RUNNING>PRE_COPY':
      case 'RUNNING_P2P>PRE_COPY_P2P':
        return this.newSaving(this.state.subarray(0, this.precopyBytes));
      case 'PRE_COPY>STOP_COPY':
      case 'PRE_COPY_P2P>STOP_COPY':
        this.running = false;
        this.saving!.fill(this.state);
        return undefined;
      case 'STOP>STOP_COPY':
        return this.newSaving(this.state);
      case 'PRE_COPY>RUNNING':
      case 'PRE_COPY_P2P>RUNNING_P2P':
      case 'STOP_COPY>STOP':
        this.disableFds();
        return undefined;
      case 'STOP>RESUMING': {
        const f = VfioMigrationFile.resuming({
          name: 'fake_mig',
          capacity: this.state.length,
          checkData: (got) => {
            if (got[0] !== FAKE_MAGIC) throw new KernelError('EINVAL', 'bad magic');
          },
        });
        this.resuming = f;
        f.filp.get();
        return f.filp;
      }
      case 'RESUMING>STOP': {
        const f = this.resuming!;
        // Nothing written: nothing to load (the state stays). Anything else must be a whole state.
        if (f.totalLength !== 0 && f.totalLength !== this.state.length) {
          throw new KernelError('EINVAL', `short state: ${f.totalLength} of ${this.state.length}`);
        }
        if (f.totalLength !== 0) this.state = f.bytes.slice();
        this.disableFds();
        return undefined;
      }
      default:
        throw new KernelError('EINVAL', `unexpected arc ${arc}`);
    }
  }
}

const FAKE_MIG_OPS: VfioMigrationOps<FakeV2Device> = {
  migrationSetState: (dev, newState) => vfioMigSetStateLoop(dev, newState, (c, n) => dev.step(c, n)),
  migrationGetState: (dev) => dev.migState,
  migrationGetDataSize: (dev) => {
    if (dev.dataSizeFails) throw new KernelError('EIO', 'injected MIG_DATA_SIZE failure');
    return dev.state.length;
  },
};

const FAKE_OPS: VfioDeviceOps<FakeV2Device> = {
  name: 'fake-v2',
  ioctl(dev, _current, cmd) {
    if (cmd !== VFIO_DEVICE_RESET) throw new KernelError('ENOTTY', `ioctl 0x${cmd.toString(16)}`);
    if (dev.resetFails) throw new KernelError('EIO', 'reset failed');
    dev.migState = RUNNING;
    dev.running = true;
    dev.disableFds();
    return 0;
  },
  closeDevice(dev) {
    dev.disableFds();
  },
};

/** Options of {@link fakeHost}. */
export interface FakeHostOptions {
  readonly flags?: number;
  readonly state?: Uint8Array;
  readonly precopyBytes?: number;
  readonly precopyEnomsg?: boolean;
}

/** A device state of `n` bytes starting with FAKE_MAGIC. */
export function fakeState(n: number, seed = 1): Uint8Array {
  const s = Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7) & 0xff);
  s[0] = FAKE_MAGIC;
  return s;
}

/** A host with one fake v2 device registered with vfio, a VMM process and an open device fd. */
export function fakeHost(name = 'fake', o: FakeHostOptions = {}) {
  const host = new PciHost(name);
  const dev = new FakeV2Device(
    `${name}0`,
    o.flags ?? VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_PRE_COPY,
    o.state ?? fakeState(300),
    o.precopyBytes ?? 40,
    o.precopyEnomsg ?? false,
  );
  Vfio.of(host).registerDevice(dev);
  const process = new Process(new UserMemory(), `qemu@${name}`);
  const handle = Vfio.of(host).openDevice(process, dev.name);
  return { host, dev, process, handle };
}

export { ERROR, PRE_COPY, PRE_COPY_P2P, RESUMING, RUNNING, RUNNING_P2P, STOP, STOP_COPY };
