import { HISI_ACC_VFIO_PCI, hisiQmPfPciDriver, qmPciBoardAttach } from '@vfio-sim/hisi-acc-vfio-pci';
import type { IommuHw } from '@vfio-sim/iommufd';
import { KernelError, type Tracer, type VirtualClock } from '@vfio-sim/platform';
import { QmDevice, type QmFunction, type QmHwVer, type QmKind } from '@vfio-sim/qm-hw';
import { type PciDev, type PciHost, pciIovVfId, Vfio } from '@vfio-sim/vfio-core';
import type { AssignableDevice } from '../devices/assignable-device.js';
import { hisiAccVfModel } from '../devices/hisi-acc-vf.js';
import { hisiAccVfioPciDriverStyled, type VfioOpsStyle } from './hisi-acc-ops-style.js';

/** Where each accelerator's PF sits on a Kunpeng 920 (its PCI name). */
export const QM_PF_PCI_NAME: Readonly<Record<QmKind, string>> = {
  zip: '0000:75:00.0',
  sec: '0000:76:00.0',
  hpre: '0000:79:00.0',
};

/** Options of {@link installQmAccelerator}. */
export interface QmAcceleratorOptions {
  readonly name: string;
  readonly clock: VirtualClock;
  readonly pci: PciHost;
  /** The SMMU the board's functions sit behind. */
  readonly iommu: IommuHw;
  readonly kind: QmKind;
  /** VFs to enable (≥ 1); every one is bound to hisi-acc-vfio-pci. */
  readonly numVfs: number;
  readonly version?: QmHwVer;
  /** How the variant driver's ops table is completed (default `explicit`, upstream's; see {@link hisiAccVfioPciDriverStyled}). */
  readonly opsStyle?: VfioOpsStyle;
  readonly tracer?: Tracer;
}

/** A QM accelerator installed on a host: the hardware, its PF, and its VFs ready for passthrough. */
export interface QmAccelerator {
  readonly device: QmDevice;
  readonly pf: PciDev;
  /** The VFs on PCI, in VF order, each bound to hisi-acc-vfio-pci. */
  readonly vfs: readonly PciDev[];
  /** The same VFs as a VMM sees them. */
  readonly assignable: readonly AssignableDevice[];
}

/**
 * Prepare a host's accelerator for VF passthrough, as an administrator does:
 *
 * 1. the QM device on PCI behind the host's SMMU (`qmPciBoardAttach`) and its PF driver probed;
 * 2. `echo N > sriov_numvfs` (the PF driver programs the VF queue ranges and enables the VFs);
 * 3. `echo hisi-acc-vfio-pci > driver_override` and a probe for every VF (the variant driver binds).
 *
 * Kernel counterpart: the boot-time probe of hisi_zip / hisi_sec2 / hisi_hpre, `sriov_numvfs` and
 * `driver_override` in sysfs.
 * @throws KernelError EINVAL if `numVfs` < 1; whatever a probe step throws.
 */
export function installQmAccelerator(options: QmAcceleratorOptions): QmAccelerator {
  const { name, clock, pci, kind, numVfs, tracer } = options;
  if (!Number.isInteger(numVfs) || numVfs < 1) {
    throw new KernelError('EINVAL', `${name}: a host needs at least one VF (numVfs ${numVfs})`);
  }
  const device = new QmDevice({
    kind,
    clock,
    ...(options.version !== undefined ? { version: options.version } : {}),
    ...(tracer !== undefined ? { tracer: tracer.forThread('qm-hw', name) } : {}),
  });
  pci.pciDriverRegister(hisiQmPfPciDriver(kind));
  pci.pciDriverRegister(hisiAccVfioPciDriverStyled(options.opsStyle ?? 'explicit'));
  const pf = qmPciBoardAttach(pci, device, QM_PF_PCI_NAME[kind], {
    iommu: options.iommu,
    ...(tracer !== undefined ? { tracer: tracer.forThread('pf', name) } : {}),
  });
  pci.probe(pf);
  pci.sriovConfigure(pf, numVfs);
  const vfs = pci
    .functions()
    .filter((d) => d.physfn === pf)
    .sort((a, b) => pciIovVfId(a) - pciIovVfId(b));
  const assignable = vfs.map((vf): AssignableDevice => {
    const fn = device.vfs[pciIovVfId(vf)];
    if (fn === undefined) throw new KernelError('ENODEV', `${name}: ${vf.name} has no QM function`);
    pci.setDriverOverride(vf, HISI_ACC_VFIO_PCI);
    pci.probe(vf);
    return qmVfAssignable(name, pci, vf, fn);
  });
  return { device, pf, vfs, assignable };
}

/**
 * A VF as a VMM sees it: opened through its cdev (and bound to iommufd), DMA behind the host's IOMMU,
 * MSIs from the QM function's interrupt output.
 */
function qmVfAssignable(hostName: string, pci: PciHost, pdev: PciDev, fn: QmFunction): AssignableDevice {
  const iommu = pdev.iommu;
  if (iommu === undefined)
    throw new KernelError('ENODEV', `${hostName}: ${pdev.name} is not behind an IOMMU`);
  return {
    hostName,
    name: pdev.name,
    model: hisiAccVfModel,
    pdev,
    deviceId: pdev.device,
    open: (process) => Vfio.of(pci).openDeviceCdev(process, pdev.name),
    dma: { iommu, setDmaPort: (port) => pdev.setDmaPort(port) },
    setInterruptHandler: (raise) => fn.setInterruptHandler(raise),
    owner: undefined,
  };
}
