import { IommufdClient, type IommufdCtx, openIommufd } from '@vfio-sim/iommufd';
import { GuestMemory, KernelError, Process, type TraceSink, UserMemory } from '@vfio-sim/platform';
import type { VfioDeviceHandle, VfioUserMapping } from '@vfio-sim/vfio-core';
import {
  type Guest,
  type Host,
  IommufdBackend,
  type MigrateReport,
  mttyDevices,
  Simulation,
} from '@vfio-sim/vmm';
import type { DeviceRef, PlannedHost } from '../plan/plan.js';

/**
 * A VMM process the scenario drives on one host (what a test program or QEMU is to the kernel): its fd
 * table and memory, `/dev/iommu` opened once, and RAM mapped into it for IOMMU_IOAS_MAP.
 */
export interface VmmProcess {
  readonly process: Process;
  readonly iommufd: IommufdClient;
  /** The kernel's context behind the iommufd fd (for snapshots only). */
  readonly ctx: IommufdCtx;
  /** The process's user address of its RAM, and the RAM's size. */
  readonly ramVa: number;
  readonly ramSize: number;
}

/** A device fd as the scenario holds it: the handle and what the steps learned or opened on it. */
export interface DeviceEntry {
  readonly handle: VfioDeviceHandle;
  readonly host: Host;
  /** The PCI name of the VF. */
  readonly pciName: string;
  readonly vmm: VmmProcess;
  /** Data fds by name (set-state's fd-as) and the newest one returned. */
  readonly dataFds: Map<string, number>;
  newestDataFd: number | undefined;
  /** The iommufd device id (after a bind). */
  devId: number | undefined;
}

/** A migration a `migrate` step ran: vmm's whole report, the guest, and the two hosts. */
export interface ObservedMigration {
  readonly report: MigrateReport;
  readonly guest: Guest;
  readonly source: Host;
  readonly destination: Host;
}

/**
 * A simulation and its hosts, handed from one world to the next: what {@link ScenarioWorld.release}
 * returns once a world's VMM processes are gone, and what a new world may be built on instead of new
 * hosts (a campaign runs many short uAPI cases on the same hosts, each host checked to be as it was built
 * — `HostFingerprint` — before it is reused).
 */
export interface ScenarioHosts {
  readonly sim: Simulation;
  readonly hosts: ReadonlyMap<string, Host>;
}

/**
 * Everything a running scenario has made: the simulation with its hosts, the VMM processes, the devices
 * opened and the guests booted, and the named IOAS / HWPT / mappings / buffers. Steps look things up
 * here by the names the plan resolved.
 */
export class ScenarioWorld {
  readonly sim: Simulation;
  readonly hosts = new Map<string, Host>();
  readonly guests = new Map<string, Guest>();
  /** Every live migration a `migrate` step ran, in order: the guest's name and vmm's report. */
  readonly migrations: { readonly guest: string; readonly report: MigrateReport }[] = [];
  readonly buffers = new Map<string, Uint8Array>();
  readonly mappings = new Map<string, VfioUserMapping>();
  readonly ioas = new Map<string, { readonly vmm: VmmProcess; readonly id: number }>();
  readonly hwpt = new Map<string, { readonly vmm: VmmProcess; readonly id: number }>();
  private readonly opened = new Map<string, DeviceEntry>();
  private readonly guestEntries = new Map<string, DeviceEntry>();
  private readonly vmms = new Map<string, VmmProcess>();
  private readonly ramOf = new Map<string, number>();
  /** User heap blocks the steps allocated (a VMM's argument buffers), freed by {@link rewind}. */
  private readonly userBlocks: { readonly process: Process; readonly va: number }[] = [];
  /** Told of every migration a `migrate` step runs (before it is judged). */
  migrationObserver: ((m: ObservedMigration) => void) | undefined = undefined;

  /**
   * @param reuse the simulation and hosts of a released world to run on (they must be the plan's hosts,
   *   by name), instead of building them; not with a trace sink (the trace belongs to the simulation).
   * @throws KernelError EINVAL for reused hosts that are not the plan's, or with a trace sink
   */
  constructor(seed: number, hosts: readonly PlannedHost[], traceSink?: TraceSink, reuse?: ScenarioHosts) {
    if (reuse !== undefined) {
      const names = hosts.map((h) => h.name);
      if (
        traceSink !== undefined ||
        names.length !== reuse.hosts.size ||
        names.some((n) => !reuse.hosts.has(n))
      )
        throw new KernelError(
          'EINVAL',
          `hosts ${[...reuse.hosts.keys()].join(', ')} are not the plan's (${names.join(', ')}), or a trace was asked for`,
        );
      this.sim = reuse.sim;
      for (const h of hosts) {
        this.hosts.set(h.name, reuse.hosts.get(h.name) as Host);
        this.ramOf.set(h.name, h.ram);
      }
      return;
    }
    this.sim = new Simulation({ seed, ...(traceSink !== undefined ? { traceSink } : {}) });
    for (const h of hosts) {
      this.hosts.set(
        h.name,
        this.sim.createHost({
          name: h.name,
          kind: h.kind,
          numVfs: h.vfs,
          iommu: h.iommu,
          iommuDirtyTracking: h.iommuDirtyTracking,
          opsStyle: h.opsStyle,
          ...(h.mtty !== undefined ? { devices: [mttyDevices(h.mtty)] } : {}),
        }),
      );
      this.ramOf.set(h.name, h.ram);
    }
  }

  /** The scenario's host named `name` (created from the plan). */
  host(name: string): Host {
    return this.hosts.get(name) as Host;
  }

  /** The scenario's VMM process on `host` (made on first use: process, `/dev/iommu`, RAM mapped). */
  vmm(host: string): VmmProcess {
    let vmm = this.vmms.get(host);
    if (vmm === undefined) {
      const process = new Process(new UserMemory(), `scenario@${host}`);
      const file = openIommufd();
      const fd = process.install(file);
      const ramSize = this.ramOf.get(host) as number;
      const ramVa = process.mm.mmap(new GuestMemory(ramSize));
      vmm = { process, iommufd: new IommufdClient(process, fd), ctx: file.privateData, ramVa, ramSize };
      this.vmms.set(host, vmm);
    }
    return vmm;
  }

  /** Remember a device opened as `name`. */
  addOpened(name: string, entry: DeviceEntry): void {
    this.opened.set(name, entry);
  }

  /**
   * The device `ref` names now: an opened one, or a guest's device as its VMM holds it (after a
   * migration, the device of the VM the guest runs in now).
   * @throws KernelError EBADF when the device is gone (the guest's VM quit, or it has no such device)
   */
  device(ref: DeviceRef): DeviceEntry {
    if (ref.kind === 'opened') {
      const entry = this.opened.get(ref.name);
      if (entry === undefined) throw new KernelError('EBADF', `device "${ref.name}" was never opened`);
      return entry;
    }
    const guest = this.guests.get(ref.guest);
    const dev = guest?.devices[ref.index];
    if (guest === undefined || dev === undefined)
      throw new KernelError('EBADF', `guest "${ref.guest}" has no device ${ref.index}`);
    const key = `${ref.guest}/${ref.index}`;
    let entry = this.guestEntries.get(key);
    if (entry === undefined || entry.handle !== dev.handle) {
      const backend = IommufdBackend.of(dev.vm);
      entry = {
        handle: dev.handle,
        host: dev.vm.host,
        pciName: dev.host.name,
        vmm: {
          process: dev.vm.process,
          iommufd: backend.client,
          ctx: dev.vm.process.file(backend.fd).privateData as IommufdCtx,
          ramVa: backend.ramVa,
          ramSize: backend.length,
        },
        dataFds: new Map(),
        newestDataFd: undefined,
        devId: dev.iommufd?.devId,
      };
      this.guestEntries.set(key, entry);
    }
    return entry;
  }

  /** Every device entry known (opened, and guests' as last looked up): what a snapshot covers. */
  allDevices(): DeviceEntry[] {
    return [...this.opened.values(), ...this.guestEntries.values()];
  }

  /** Every VMM process made (the scenario's own ones). */
  allVmms(): VmmProcess[] {
    return [...this.vmms.values()];
  }

  /**
   * End the world: close every fd of the scenario's VMM processes (device fds, data fds, `/dev/iommu`),
   * as their exit would, and hand the simulation and hosts on for a next world.
   * @throws KernelError EBUSY while a guest runs (its VM holds devices of the hosts)
   */
  release(): ScenarioHosts {
    if (this.guests.size > 0)
      throw new KernelError('EBUSY', `guests ${[...this.guests.keys()].join(', ')} run`);
    for (const vmm of this.vmms.values())
      for (const fd of vmm.process.openFds().reverse()) vmm.process.close(fd);
    this.vmms.clear();
    this.opened.clear();
    return { sim: this.sim, hosts: this.hosts };
  }

  /**
   * A user buffer of `size` bytes (at least 8) in `vmm`'s process, for a step's system call (one per call,
   * as a VMM's stack or heap buffer; kept until {@link rewind}).
   */
  userBuffer(vmm: VmmProcess, size: number): number {
    const va = vmm.process.mm.alloc(Math.max(8, size), 8);
    this.userBlocks.push({ process: vmm.process, va });
    return va;
  }

  /**
   * Undo what the steps left in the scenario's own VMM processes, keeping the hosts, the processes and
   * the devices opened: unmap the steps' mappings, close every fd but the opened devices' and
   * `/dev/iommu` (data fds, in reverse order), free the steps' user buffers, and forget the names of
   * buffers, mappings, IOAS / HWPT and data fds. What it cannot undo — a device's migration state, the
   * hardware, iommufd objects, a device fd a step closed — a caller compares by fingerprint
   * (`DeviceFingerprint`, `HostFingerprint`): a campaign runs its next uAPI case on the device still open
   * only if everything is as it was opened. Kernel counterpart: a VMM's `munmap`, `close` and `free`
   * calls between two sessions on the same device fd.
   * @throws KernelError EBUSY while a guest runs (its VM holds devices of the hosts)
   */
  rewind(): void {
    if (this.guests.size > 0)
      throw new KernelError('EBUSY', `guests ${[...this.guests.keys()].join(', ')} run`);
    for (const mapping of this.mappings.values()) if (mapping.isMapped) mapping.munmap();
    this.mappings.clear();
    for (const vmm of this.vmms.values()) {
      const fds = vmm.process.openFds();
      for (let i = fds.length - 1; i >= 0; i--) {
        const fd = fds[i]!;
        if (fd !== vmm.iommufd.fd && !this.isOpenedDevice(vmm, fd)) vmm.process.close(fd);
      }
    }
    for (const { process, va } of this.userBlocks) process.mm.free(va);
    this.userBlocks.length = 0;
    this.buffers.clear();
    this.ioas.clear();
    this.hwpt.clear();
    for (const entry of this.opened.values()) {
      entry.dataFds.clear();
      entry.newestDataFd = undefined;
    }
  }

  /** Whether `fd` of `vmm`'s process is the fd of a device the steps opened. */
  private isOpenedDevice(vmm: VmmProcess, fd: number): boolean {
    for (const entry of this.opened.values()) if (entry.vmm === vmm && entry.handle.fd === fd) return true;
    return false;
  }

  /** The guest named `name` (booted by a `boot` step). */
  guest(name: string): Guest {
    return this.guests.get(name) as Guest;
  }
}
