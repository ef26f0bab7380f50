import {
  HISI_ACC_VFIO_PCI,
  type HisiAccVfCoreDevice,
  hisiAccVfioPciDriver,
  hisiQmPfPciDriver,
  qmPciBoardAttach,
} from '@vfio-sim/hisi-acc-vfio-pci';
import type { IoPgtableFormatName } from '@vfio-sim/iommufd';
import { KernelError, Process, Tracer, UserMemory, type VirtualClock } from '@vfio-sim/platform';
import { QmDevice, type QmFunction, type QmHwVer, type QmKind } from '@vfio-sim/qm-hw';
import { type PciDev, PciHost, pciIovVfId, Vfio, type VfioDeviceHandle } from '@vfio-sim/vfio-core';
import { DEFAULT_IOMMU_FORMAT, type HostIommu, openHostIommu } from './host-iommu.js';

/** Where each accelerator's PF sits on a Kunpeng 920 (its PCI name). */
export const QM_PF_PCI_NAME: Readonly<Record<QmKind, string>> = {
  zip: '0000:75:00.0',
  sec: '0000:76:00.0',
  hpre: '0000:79:00.0',
};

/** Options of {@link createHost}. */
export interface HostOptions {
  /** The host's name (used in PCI host, process and trace names). */
  readonly name: string;
  /** The one virtual timeline every host of a scenario shares. */
  readonly clock: VirtualClock;
  /** Which accelerator the board carries. */
  readonly kind: QmKind;
  /** VFs to enable through the PF driver's sriov_configure (≥ 1; VF 0 is handed to the VMM). */
  readonly numVfs: number;
  /** QM version (default V3, the one hisi-acc-vfio-pci migrates). */
  readonly version?: QmHwVer;
  /** Page-table format of the IOMMU in front of the VF (default {@link DEFAULT_IOMMU_FORMAT}). */
  readonly iommu?: IoPgtableFormatName;
  /** Whether that IOMMU can track dirty pages (default true). */
  readonly iommuDirtyTracking?: boolean;
  /**
   * Where the host's events go: the QM device (`qm-hw` track), the PF driver (`pf`), and the VMM's
   * migration (phases, RAM rounds, device states) are traced on this tracer's sink, in process `name`.
   */
  readonly tracer?: Tracer;
}

/**
 * One simulated machine, set up the way an administrator prepares a host for VF passthrough:
 *
 * 1. a QM device on PCI (`qmPciBoardAttach`) and the accelerator's PF driver probed on it;
 * 2. `echo N > sriov_numvfs` (the PF driver programs the VF queue ranges and enables the VFs);
 * 3. `echo hisi-acc-vfio-pci > driver_override` for VF 0 and a probe (the variant driver binds);
 * 4. a VMM process (QEMU) that opened VF 0's vfio device fd, and `/dev/iommu` with VF 0 bound to it
 *    (VF 0's DMA goes through the host's IOMMU once a VM's RAM is mapped for it).
 */
export interface Host {
  readonly name: string;
  readonly clock: VirtualClock;
  readonly kind: QmKind;
  /** The PCI topology and driver core of this host. */
  readonly pci: PciHost;
  /** The accelerator hardware behind the PF. */
  readonly device: QmDevice;
  readonly pf: PciDev;
  /** VF 0 on PCI, bound to hisi-acc-vfio-pci. */
  readonly vf: PciDev;
  /** VF 0's hardware function (for wiring its DMA and interrupts into a VM). */
  readonly vfHw: QmFunction;
  /** The variant driver's per-device state for VF 0 (`struct hisi_acc_vf_core_device`). */
  readonly vfioDevice: HisiAccVfCoreDevice;
  /** The VMM process on this host. */
  readonly vmm: Process;
  /** VF 0's vfio device fd in {@link vmm}. */
  readonly vfHandle: VfioDeviceHandle;
  /** The IOMMU in front of VF 0, `/dev/iommu` in {@link vmm}, VF 0 bound to it. */
  readonly iommu: HostIommu;
  /** The host's tracer (the VMM's track; disabled unless {@link HostOptions.tracer} was given). */
  readonly tracer: Tracer;
}

/**
 * Build a {@link Host}: hardware, PF driver, SR-IOV, VF 0 bound to hisi-acc-vfio-pci through
 * driver_override, and a VMM holding the VF's device fd.
 *
 * Kernel counterpart: the boot-time probe of hisi_zip & co., `sriov_numvfs` and `driver_override` in
 * sysfs, QEMU opening the VF's vfio device and `/dev/iommu` (`VFIO_DEVICE_BIND_IOMMUFD`).
 * @throws KernelError EINVAL if `numVfs` < 1; whatever a probe step throws.
 */
export function createHost(options: HostOptions): Host {
  const { name, clock, kind, numVfs, tracer } = options;
  if (!Number.isInteger(numVfs) || numVfs < 1) {
    throw new KernelError('EINVAL', `${name}: a host needs at least one VF (numVfs ${numVfs})`);
  }
  const device = new QmDevice({
    kind,
    clock,
    ...(options.version !== undefined ? { version: options.version } : {}),
    ...(tracer !== undefined ? { tracer: tracer.forThread('qm-hw', name) } : {}),
  });
  const pci = new PciHost(name);
  pci.pciDriverRegister(hisiQmPfPciDriver(kind));
  pci.pciDriverRegister(hisiAccVfioPciDriver);
  const pf = qmPciBoardAttach(
    pci,
    device,
    QM_PF_PCI_NAME[kind],
    tracer !== undefined ? { tracer: tracer.forThread('pf', name) } : {},
  );
  pci.probe(pf);
  pci.sriovConfigure(pf, numVfs);
  const vf = pci.functions().find((d) => d.physfn === pf && pciIovVfId(d) === 0);
  const vfHw = device.vfs[0];
  if (vf === undefined || vfHw === undefined) throw new KernelError('ENODEV', `${name}: VF 0 did not appear`);
  pci.setDriverOverride(vf, HISI_ACC_VFIO_PCI);
  pci.probe(vf);
  const vmm = new Process(new UserMemory(), `qemu@${name}`);
  const vfHandle = Vfio.of(pci).openDevice(vmm, vf.name);
  const iommu = openHostIommu(
    vmm,
    vf.name,
    options.iommu ?? DEFAULT_IOMMU_FORMAT,
    options.iommuDirtyTracking ?? true,
  );
  return {
    name,
    clock,
    kind,
    pci,
    device,
    pf,
    vf,
    vfHw,
    vfioDevice: vf.drvdata as HisiAccVfCoreDevice,
    vmm,
    vfHandle,
    iommu,
    tracer: tracer?.forThread('qemu', name) ?? Tracer.disabled(clock),
  };
}
