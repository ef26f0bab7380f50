import type { HisiAccVfCoreDevice, HisiQmPfDrvdata } from '@vfio-sim/hisi-acc-vfio-pci';
import { IommuHw, type IoPgtableFormatName } from '@vfio-sim/iommufd';
import { KernelError, Tracer, type VirtualClock } from '@vfio-sim/platform';
import type { PfDriver, QmDevice, QmFunction, QmHwVer, QmKind } from '@vfio-sim/qm-hw';
import { type PciDev, PciHost } from '@vfio-sim/vfio-core';
import type { AssignableDevice } from '../devices/assignable-device.js';
import type { VfioOpsStyle } from './hisi-acc-ops-style.js';
import { DEFAULT_IOMMU_FORMAT } from './host-iommu.js';
import { installQmAccelerator } from './qm-accelerator.js';

/** What a {@link DeviceProvider} gets to install its devices on: the host's bus, IOMMU and clock. */
export interface HostPlatform {
  readonly name: string;
  readonly clock: VirtualClock;
  readonly pci: PciHost;
  readonly iommu: IommuHw;
  readonly tracer: Tracer;
}

/**
 * Installs more assignable devices on a host: hardware on its PCI bus (or an mdev parent), their
 * kernel drivers, and each device bound to its vfio driver. This is how a driver author's variant
 * driver (written on vfio-core) gets onto the same hosts, VMs and migrations as the hisi one.
 */
export type DeviceProvider = (host: HostPlatform) => readonly AssignableDevice[];

/** Options of {@link createHost}. */
export interface HostOptions {
  /** The host's name (used in PCI host, process and trace names). */
  readonly name: string;
  /** The one virtual timeline every host of a scenario shares. */
  readonly clock: VirtualClock;
  /** Which accelerator the board carries (default `zip`). */
  readonly kind?: QmKind;
  /** Accelerator VFs to enable, every one bound to hisi-acc-vfio-pci (≥ 1, default 2). */
  readonly numVfs?: number;
  /** QM version (default V3, the one hisi-acc-vfio-pci migrates). */
  readonly version?: QmHwVer;
  /** Page-table format of the host's IOMMU (default {@link DEFAULT_IOMMU_FORMAT}). */
  readonly iommu?: IoPgtableFormatName;
  /** Whether that IOMMU can track dirty pages (default true). */
  readonly iommuDirtyTracking?: boolean;
  /**
   * How hisi-acc-vfio-pci's ops table is completed: `explicit` (default, upstream), `fallback` or `merged`
   * (vfio-core's `VfioOpsStyle`; the seed thread's three answers).
   */
  readonly opsStyle?: VfioOpsStyle;
  /** More assignable devices (another variant driver's), installed after the accelerator. */
  readonly devices?: readonly DeviceProvider[];
  /**
   * Where the host's events go: the QM device (`qm-hw` track), the PF driver (`pf`), and the VMMs'
   * migration (phases, RAM rounds, device states) are traced on this tracer's sink, in process `name`.
   */
  readonly tracer?: Tracer;
}

/**
 * One simulated machine, prepared the way an administrator prepares a host for passthrough: one IOMMU
 * (the SoC's SMMU, or the format asked for) in front of every device, the QM accelerator with its PF
 * driver and every VF bound to hisi-acc-vfio-pci ({@link installQmAccelerator}), and whatever other
 * {@link DeviceProvider}s install. VMs (QEMU processes) start on it and claim free devices.
 *
 * Kernel counterpart: a booted host kernel with its PCI devices probed and vfio drivers bound.
 */
export class Host {
  readonly name: string;
  readonly clock: VirtualClock;
  readonly kind: QmKind;
  /** The PCI topology and driver core of this host. */
  readonly pci: PciHost;
  /** The host's IOMMU instance (its capability register says whether it can track dirty pages). */
  readonly iommu: IommuHw;
  /** The accelerator hardware behind the PF. */
  readonly device: QmDevice;
  readonly pf: PciDev;
  /** The accelerator's VFs on PCI, bound to hisi-acc-vfio-pci. */
  readonly vfs: readonly PciDev[];
  /** Every device a VM can be given, free or not, accelerator VFs first. */
  readonly assignable: readonly AssignableDevice[];
  /** The host's tracer (the VMM's track; disabled unless {@link HostOptions.tracer} was given). */
  readonly tracer: Tracer;

  /**
   * @throws KernelError EINVAL if `numVfs` < 1; EEXIST if two devices share a PCI name; whatever a
   * probe step throws.
   */
  constructor(options: HostOptions) {
    const { name, clock } = options;
    this.name = name;
    this.clock = clock;
    this.kind = options.kind ?? 'zip';
    this.pci = new PciHost(name);
    const format = options.iommu ?? DEFAULT_IOMMU_FORMAT;
    this.iommu = new IommuHw({
      format,
      name: `${format}@${name}`,
      dirtyTracking: options.iommuDirtyTracking ?? true,
    });
    this.tracer = options.tracer?.forThread('qemu', name) ?? Tracer.disabled(clock);
    const acc = installQmAccelerator({
      name,
      clock,
      pci: this.pci,
      iommu: this.iommu,
      kind: this.kind,
      numVfs: options.numVfs ?? 2,
      ...(options.version !== undefined ? { version: options.version } : {}),
      ...(options.opsStyle !== undefined ? { opsStyle: options.opsStyle } : {}),
      ...(options.tracer !== undefined ? { tracer: options.tracer } : {}),
    });
    this.device = acc.device;
    this.pf = acc.pf;
    this.vfs = acc.vfs;
    const platform: HostPlatform = { name, clock, pci: this.pci, iommu: this.iommu, tracer: this.tracer };
    this.assignable = [...acc.assignable, ...(options.devices ?? []).flatMap((provide) => provide(platform))];
  }

  /** The assignable device named `name` (its PCI name). @throws KernelError ENODEV if there is none. */
  assignableDevice(name: string): AssignableDevice {
    const dev = this.assignable.find((d) => d.name === name);
    if (dev === undefined) throw new KernelError('ENODEV', `${this.name}: no assignable device ${name}`);
    return dev;
  }

  /** The first free assignable device of model `model`, or undefined. */
  freeDevice(model: string): AssignableDevice | undefined {
    return this.assignable.find((d) => d.model.name === model && d.owner === undefined);
  }

  /** The QM hardware function behind accelerator VF `vf` (index or PCI name). */
  qmFunction(vf: number | string): QmFunction {
    const index = typeof vf === 'number' ? vf : this.vfs.findIndex((d) => d.name === vf);
    const fn = this.device.vfs[index];
    if (fn === undefined) throw new KernelError('ENODEV', `${this.name}: no accelerator VF ${vf}`);
    return fn;
  }

  /** The accelerator's PF driver (hisi_zip / hisi_sec2 / hisi_hpre on the PF), once probed. */
  get pfDriver(): PfDriver | undefined {
    return (this.pf.drvdata as HisiQmPfDrvdata | undefined)?.pf;
  }

  /** The variant driver's per-device state of accelerator VF `vf` (`struct hisi_acc_vf_core_device`). */
  vfioDevice(vf: number | string): HisiAccVfCoreDevice {
    const index = typeof vf === 'number' ? vf : this.vfs.findIndex((d) => d.name === vf);
    const pdev = this.vfs[index];
    if (pdev === undefined) throw new KernelError('ENODEV', `${this.name}: no accelerator VF ${vf}`);
    return pdev.drvdata as HisiAccVfCoreDevice;
  }
}

/** Build a {@link Host} (the same as `new Host(options)`). */
export function createHost(options: HostOptions): Host {
  return new Host(options);
}
