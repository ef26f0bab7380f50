import { KernelError, type Tracer } from '@vfio-sim/platform';
import type { QmDevice, QmFunction } from '@vfio-sim/qm-hw';
import { type PciDev, type PciFunctionDesc, type PciHost, parsePciName } from '@vfio-sim/vfio-core';

/** Board options: the IOMMU the functions sit behind, and the PF driver's module parameters. */
export interface QmPciBoardOptions {
  /**
   * The IOMMU (e.g. the SoC's SMMUv3) the VFs sit behind: with it a VF can be bound to iommufd through
   * the vfio device cdev and its DMA goes through the attached domain (an `IommuHw` of `@vfio-sim/iommufd`).
   */
  readonly iommu?: PciFunctionDesc['iommu'];
  /** Queues per VF (default: the hardware's share). */
  readonly qpPerVf?: number;
  readonly tracer?: Tracer;
}

/** What sits behind a PF the board placed: the QM device model and the PF driver's parameters. */
export interface QmPciBoardSlot extends QmPciBoardOptions {
  readonly device: QmDevice;
}

const slots = new WeakMap<PciDev, QmPciBoardSlot>();

/**
 * The QM device model (and PF driver parameters) behind a PF placed by {@link qmPciBoardAttach} — what
 * the PF driver's probe finds behind the BARs — or undefined.
 */
export function qmBoardSlotOf(pdev: PciDev): QmPciBoardSlot | undefined {
  return slots.get(pdev);
}

/**
 * How one QM function appears on PCI: its ids and revision, BAR2 (registers) and BAR4 (doorbells with
 * isolation), its function-level reset, where its DMA port comes from, and the IOMMU it sits behind.
 */
export function qmPciFunctionDesc(
  fn: QmFunction,
  name: string,
  iommu?: PciFunctionDesc['iommu'],
): PciFunctionDesc {
  return {
    name,
    vendor: fn.pci.vendorId,
    device: fn.pci.deviceId,
    revision: fn.pci.revision,
    bars: [undefined, undefined, fn.bar2, undefined, fn.bar4],
    reset: () => fn.flr(),
    setDmaPort: (port) => fn.setDmaPort(port),
    ...(iommu !== undefined ? { iommu } : {}),
  };
}

/**
 * Place a QM device on a PCI host: its PF at `pfName` (e.g. `0000:75:00.0`) with an SR-IOV capability
 * whose VF `i` is the device's VF `i` at the next function numbers. VFs appear when the PF driver
 * enables them (sysfs sriov_numvfs → the PF driver's sriov_configure).
 * @throws KernelError EINVAL for a bad name; EEXIST if the name is taken.
 */
export function qmPciBoardAttach(
  host: PciHost,
  device: QmDevice,
  pfName: string,
  options: QmPciBoardOptions = {},
): PciDev {
  const addr = parsePciName(pfName);
  const pfDevfn = (addr.slot << 3) | addr.func;
  const vfName = (i: number): string => {
    const devfn = pfDevfn + 1 + i;
    if (devfn > 0xff) throw new KernelError('EINVAL', `${pfName}: no devfn left for VF ${i}`);
    const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');
    return `${hex(addr.domain, 4)}:${hex(addr.bus, 2)}:${hex(devfn >> 3, 2)}.${devfn & 7}`;
  };
  const pf = host.addFunction({
    ...qmPciFunctionDesc(device.pf, pfName),
    sriov: {
      totalVfs: 63,
      createVf: (i) => {
        const vf = device.vfs[i];
        if (vf === undefined)
          throw new KernelError('ENODEV', `${pfName}: QM VF ${i} not enabled in hardware`);
        return qmPciFunctionDesc(vf, vfName(i), options.iommu);
      },
    },
  });
  slots.set(pf, { ...options, device });
  return pf;
}
