import { deflateRawSync } from 'node:zlib';
import { ProcessRegionIo, QemuFileReader, QemuFileWriter, QemuV1Client } from '@vfio-sim/migration-v1';
import { QemuV2Client, type QemuV2ClientOptions } from '@vfio-sim/migration-v2';
import { GuestMemory, IdentityDmaPort, Prng, Process, UserMemory, VirtualClock } from '@vfio-sim/platform';
import {
  GuestVfDriver,
  type GuestVfDriverOptions,
  QM_SQE_OP_ZIP_DEFLATE,
  type QmDevice,
  QmDevice as QmDeviceClass,
  type QmHwVer,
  type QmKind,
} from '@vfio-sim/qm-hw';
import {
  PciHost,
  VFIO_PCI_BAR2_REGION_INDEX,
  Vfio,
  type VfioDeviceHandle,
  type VfioUserMapping,
} from '@vfio-sim/vfio-core';
import type { HisiAccVfCoreDevice } from '../core/hisi-acc-vf-core-device.js';
import { HISI_ACC_VFIO_PCI, hisiAccVfioPciDriver } from '../driver/hisi-acc-vfio-pci.js';
import { hisiQmPfPciDriver } from '../pf/hisi-qm-pf-driver.js';
import { qmPciBoardAttach } from '../pf/qm-pci-board.js';

/** The v1 migration region's index (first device-specific region). */
export const MIG_REGION_INDEX = 9;
export const PF_NAME = '0000:75:00.0';
export const VF_NAME = '0000:75:00.1';

export interface HostOptions {
  readonly kind?: QmKind;
  readonly version?: QmHwVer;
  readonly numVfs?: number;
  readonly qpPerVf?: number;
  /** Turn queue isolation on in the PF (QM_QUE_ISO_CFG_V differs from a default host). */
  readonly queIso?: number;
}

/** A host: a QM device on PCI, its PF driver, VFs bound to hisi-acc-vfio-pci, a VMM process. */
export function makeHost(clock: VirtualClock, name: string, o: HostOptions = {}) {
  const kind = o.kind ?? 'zip';
  const device: QmDevice = new QmDeviceClass({ kind, clock, version: o.version ?? 0x30 });
  const host = new PciHost(name);
  host.pciDriverRegister(hisiQmPfPciDriver(kind));
  host.pciDriverRegister(hisiAccVfioPciDriver);
  const pf = qmPciBoardAttach(host, device, PF_NAME, o.qpPerVf ? { qpPerVf: o.qpPerVf } : {});
  host.probe(pf);
  host.sriovConfigure(pf, o.numVfs ?? 2);
  if (o.queIso !== undefined) device.pf.bar2.writel(0x30, o.queIso);
  const vf = host.get(VF_NAME);
  host.setDriverOverride(vf, HISI_ACC_VFIO_PCI);
  host.probe(vf);
  const process = new Process(new UserMemory(), `qemu@${name}`);
  const handle = Vfio.of(host).openDevice(process, VF_NAME);
  const hdev = vf.drvdata as HisiAccVfCoreDevice;
  return { clock, device, host, pf, vf, hdev, process, handle, vfHw: device.vfs[0]! };
}
export type Host = ReturnType<typeof makeHost>;

/** The second VF of a host's QM (makeHost binds and opens the first). */
export const VF2_NAME = '0000:75:00.2';

/**
 * A host with two VFs bound to hisi-acc-vfio-pci, both opened by the one VMM process: `handle` (VF 1) and
 * `handle2` (VF 2) — a migration between them runs entirely inside one process's memory and fd table.
 */
export function twoVfsOneProcess(o: HostOptions = {}) {
  const h = makeHost(new VirtualClock(), 'one', { ...o, numVfs: 2 });
  const vf2 = h.host.get(VF2_NAME);
  h.host.setDriverOverride(vf2, HISI_ACC_VFIO_PCI);
  h.host.probe(vf2);
  const handle2 = Vfio.of(h.host).openDevice(h.process, VF2_NAME);
  return { ...h, handle2 };
}

/** The v1 client on a host's device fd. */
export function v1Client(h: Pick<Host, 'process' | 'handle'>): QemuV1Client {
  const info = h.handle.getRegionInfo(MIG_REGION_INDEX);
  return new QemuV1Client(
    new ProcessRegionIo(h.process, h.handle.fd, h.handle.regionOffset(MIG_REGION_INDEX)),
    info.size,
  );
}

/** A guest: RAM, vCPUs that can be stopped, interrupts queued while stopped, the VF driver on BAR2. */
export class Vm {
  running = true;
  readonly pendingIrqs: number[] = [];
  driver: GuestVfDriver | undefined;
  bar2: VfioUserMapping | undefined;

  constructor(
    readonly memory: GuestMemory,
    readonly clock: VirtualClock,
  ) {}

  /** Plug the VF of `h` into this VM: DMA into our RAM, interrupts to our vCPUs, BAR2 mapped. */
  attach(h: Host): VfioUserMapping {
    h.vfHw.setDmaPort(new IdentityDmaPort(this.memory));
    h.vfHw.setInterruptHandler((v) => this.irq(v));
    this.bar2 = mapBar2(h.handle);
    return this.bar2;
  }

  options(): GuestVfDriverOptions {
    return { bar2: this.bar2!, memory: this.memory, clock: this.clock };
  }

  irq(vector: number): void {
    if (this.running && this.driver !== undefined) this.driver.handleInterrupt(vector);
    else this.pendingIrqs.push(vector);
  }

  stop(): void {
    this.running = false;
  }

  start(): void {
    this.running = true;
    for (const v of this.pendingIrqs.splice(0)) this.driver?.handleInterrupt(v);
  }
}

export function mapBar2(handle: VfioDeviceHandle): VfioUserMapping {
  return handle.mmap(VFIO_PCI_BAR2_REGION_INDEX, 0x8000);
}

/** Deterministic compressible job inputs. */
export function zipInputs(seed: number, count: number, size = 4096): Uint8Array[] {
  const rng = new Prng(seed);
  return Array.from({ length: count }, () => {
    const out = new Uint8Array(size);
    for (let i = 0; i < size; i++) out[i] = 97 + (rng.nextU32() % 4);
    return out;
  });
}

export function expectedDeflate(input: Uint8Array): Uint8Array {
  return new Uint8Array(deflateRawSync(input));
}

export const ZIP_DEFLATE = QM_SQE_OP_ZIP_DEFLATE;

/** A source with a running guest and a destination host, sharing one clock. */
export function migrationPair(o: { src?: HostOptions; dst?: HostOptions } = {}) {
  const clock = new VirtualClock();
  const src = makeHost(clock, 'src', o.src);
  const dst = makeHost(clock, 'dst', o.dst);
  const vm = new Vm(new GuestMemory(64 << 20), clock);
  vm.attach(src);
  vm.driver = GuestVfDriver.probe(vm.options());
  return {
    clock,
    src,
    dst,
    vm,
    srcDev: src.hdev as HisiAccVfCoreDevice,
    dstDev: dst.hdev as HisiAccVfCoreDevice,
  };
}

/** Copy every touched page of `src` into a fresh guest memory (what the VMM sends while the VM is stopped). */
export function copyGuestMemory(src: GuestMemory): GuestMemory {
  const dst = new GuestMemory(src.size);
  dst.copyFrom(src, 0, src.size);
  return dst;
}

/** One v1 live migration of `vm` from `src` to `dst`, QEMU style; returns the destination VM. */
export function migrateV1(vm: Vm, src: Host, dst: Host, hooks: { beforeStop?: () => void } = {}) {
  const s = v1Client(src);
  const sections: Uint8Array[] = [];
  const section = (fn: (w: QemuFileWriter) => void) => {
    const w = new QemuFileWriter();
    fn(w);
    sections.push(w.toBytes());
  };
  section((w) => s.saveSetup(w));
  s.savePending();
  section((w) => s.saveIterate(w));
  hooks.beforeStop?.();
  vm.stop();
  s.vmStop();
  section((w) => s.saveComplete(w));
  const memory = copyGuestMemory(vm.memory);
  const dstVm = new Vm(memory, vm.clock);
  dstVm.running = false;
  dstVm.pendingIrqs.push(...vm.pendingIrqs);
  dstVm.attach(dst);
  const d = v1Client(dst);
  d.loadSetup();
  for (const bytes of sections) d.loadState(new QemuFileReader(bytes));
  dstVm.driver = GuestVfDriver.resume(dstVm.options());
  d.vmStart();
  dstVm.start();
  return { dstVm, src: s, dst: d, sections };
}

/** The v2 (QEMU 8.1+) client on a host's device fd. */
export function v2Client(h: Host, o: QemuV2ClientOptions = {}): QemuV2Client {
  return new QemuV2Client(h.handle, o);
}

/** Hooks of {@link migrateV2}. */
export interface MigrateV2Hooks {
  /** Runs while the guest still runs, after the pre-copy iterations. */
  readonly beforeStop?: () => void;
  /** Pre-copy iterations before the stop (default 2). */
  readonly iterations?: number;
  readonly switchoverAck?: boolean;
}

/**
 * One v2 live migration of `vm` from `src` to `dst`, QEMU style: the destination is set up first
 * (RESUMING) and loads every section as it is produced (pre-copy data reaches it while the guest still
 * runs on the source); then the stop, stop-copy, cleanup, and the start on the destination.
 */
export function migrateV2(vm: Vm, src: Host, dst: Host, hooks: MigrateV2Hooks = {}) {
  const ack = hooks.switchoverAck ?? true;
  const s = v2Client(src, { switchoverAck: ack });
  const d = v2Client(dst, { switchoverAck: ack });
  const sections: Uint8Array[] = [];
  d.loadSetup();
  const section = (fn: (w: QemuFileWriter) => void) => {
    const w = new QemuFileWriter();
    fn(w);
    const bytes = w.toBytes();
    sections.push(bytes);
    d.loadState(new QemuFileReader(bytes));
  };
  section((w) => s.saveSetup(w));
  for (let i = 0; i < (hooks.iterations ?? 2) && s.isActiveIterate(); i++) section((w) => s.saveIterate(w));
  hooks.beforeStop?.();
  vm.stop();
  s.vmStateChange(false, 'finish-migrate');
  const memory = copyGuestMemory(vm.memory);
  const dstVm = new Vm(memory, vm.clock);
  dstVm.running = false;
  dstVm.pendingIrqs.push(...vm.pendingIrqs);
  dstVm.attach(dst);
  section((w) => s.saveComplete(w));
  section((w) => s.saveState(w));
  s.saveCleanup();
  d.loadCleanup();
  dstVm.driver = GuestVfDriver.resume(dstVm.options());
  d.vmStateChange(true);
  dstVm.start();
  return { dstVm, src: s, dst: d, sections };
}
