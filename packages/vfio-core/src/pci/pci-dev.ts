import { IommuDevice, type IommuHw } from '@vfio-sim/iommufd';
import { type DmaPort, KernelError, type MmioRegion } from '@vfio-sim/platform';
import { PCI_CFG_SPACE_EXP_SIZE, PciConfigSpace } from './config-space.js';
import type { PciDeviceId } from './pci-ids.js';

/**
 * What a {@link PciDev} needs of the host it sits on (implemented by `PciHost`): SR-IOV enable/disable for
 * `pci_enable_sriov`, and its name for messages.
 */
export interface PciBus {
  readonly name: string;
  /** @internal */
  enableSriov(pf: PciDev, numVfs: number): PciDev[];
  /** @internal */
  disableSriov(pf: PciDev): void;
}

/** `PCI_STD_NUM_BARS`: BAR0..BAR5. */
export const PCI_STD_NUM_BARS = 6;
/** `PCI_ROM_RESOURCE`: the resource index of the expansion ROM. */
export const PCI_ROM_RESOURCE = 6;
/** `IORESOURCE_MEM`: a memory resource. */
export const IORESOURCE_MEM = 0x200;
/** `IORESOURCE_READONLY` (the ROM). */
export const IORESOURCE_READONLY = 0x4000;

/** One BAR (or the ROM) as the PCI core assigned it: kernel `struct resource` in `pdev->resource[]`. */
export interface PciResource {
  /** Bus address (`pci_resource_start`); 0 when absent. */
  readonly start: number;
  /** Length (`pci_resource_len`); 0 when absent. */
  readonly len: number;
  /** IORESOURCE_* bits (0 when absent). */
  readonly flags: number;
  /** Whether user space may mmap it (vfio-pci's `bar_mmap_supported`: page-aligned, ≥ one page). */
  readonly mmap: boolean;
}

/** SR-IOV capability of a PF: how to build VF `i` (0-based) when VFs are enabled. */
export interface PciSriovDesc {
  /** `TotalVFs` (default 255). */
  readonly totalVfs?: number;
  /** Describe VF `i` (its name, ids and BARs — typically the hardware model's VF function `i`). */
  createVf(i: number): PciFunctionDesc;
}

/**
 * What a PCI function is made of, as handed to {@link PciHost.addFunction}. Register files plug in as one
 * {@link MmioRegion} per BAR (`bars[i]` = BARi, `undefined` = not implemented).
 */
export interface PciFunctionDesc {
  /** `pci_name()`: `domain:bus:slot.func`, e.g. `'0000:75:00.1'`. */
  readonly name: string;
  readonly vendor: number;
  readonly device: number;
  /** Revision id (for the QM, the hardware version: 0x20/0x21/0x30). */
  readonly revision: number;
  /** 24-bit class code (default 0x120000, processing accelerator). */
  readonly classCode?: number;
  readonly subsystemVendor?: number;
  readonly subsystemDevice?: number;
  /** BAR0..BAR5. */
  readonly bars: readonly (MmioRegion | undefined)[];
  /** Per BAR: may user space mmap it? Default: yes if its size is a multiple of the page size. */
  readonly barMmap?: readonly (boolean | undefined)[];
  /** Expansion ROM contents (read-only through vfio); absent by default. */
  readonly rom?: Uint8Array;
  /** 256 (conventional) or 4096 (PCIe, default). */
  readonly configSize?: 256 | 4096;
  /** Interrupt pin (0 = none, the default; the model has no INTx). */
  readonly interruptPin?: number;
  /** The function reset the hardware implements (FLR); without it, resets fail with ENOTTY. */
  readonly reset?: () => void;
  /** SR-IOV capability (PFs only). */
  readonly sriov?: PciSriovDesc;
  /**
   * The IOMMU instance the function sits behind (its requester ID is translated there). Without it the
   * function cannot be bound to iommufd (VFIO_DEVICE_BIND_IOMMUFD answers ENODEV).
   */
  readonly iommu?: IommuHw;
  /**
   * Where the device model takes its DMA port from (qm-hw: `(port) => fn.setDmaPort(port)`). vfio-core
   * calls it when the function's IOMMU domain changes: the IOMMU port after ATTACH_IOMMUFD_PT, a
   * blocked port while bound but detached, the previous port again after unbind.
   */
  readonly setDmaPort?: (port: DmaPort) => void;
}

/** Parsed `domain:bus:slot.func`. */
export interface PciAddress {
  readonly domain: number;
  readonly bus: number;
  readonly slot: number;
  readonly func: number;
  /** `PCI_DEVFN(slot, func)`. */
  readonly devfn: number;
}

/** Parse a `pci_name()` string. @throws KernelError EINVAL */
export function parsePciName(name: string): PciAddress {
  const m = /^([0-9a-fA-F]{4}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])$/.exec(name);
  if (m === null) throw new KernelError('EINVAL', `"${name}" is not a PCI name (dddd:bb:ss.f)`);
  const slot = Number.parseInt(m[3]!, 16);
  const func = Number.parseInt(m[4]!, 10);
  if (slot > 0x1f) throw new KernelError('EINVAL', `"${name}": slot ${slot} > 31`);
  return {
    domain: Number.parseInt(m[1]!, 16),
    bus: Number.parseInt(m[2]!, 16),
    slot,
    func,
    devfn: (slot << 3) | func,
  };
}

/** SR-IOV state of a PF (kernel `struct pci_sriov`, the parts modelled). */
export interface PciSriov {
  readonly totalVfs: number;
  numVfs: number;
  readonly vfs: PciDev[];
}

/**
 * One PCI function (kernel `struct pci_dev`): ids, address, BAR resources backed by MMIO regions,
 * config space, SR-IOV relations (`physfn`), the bound driver, `driver_override` and drvdata.
 * Created by {@link PciHost.addFunction} (or by SR-IOV enable for VFs).
 */
export class PciDev {
  readonly name: string;
  readonly vendor: number;
  readonly device: number;
  readonly revision: number;
  readonly classCode: number;
  readonly subsystemVendor: number;
  readonly subsystemDevice: number;
  readonly domain: number;
  /** Bus number (`pdev->bus->number`). */
  readonly bus: number;
  /** `pdev->devfn`. */
  readonly devfn: number;
  /** The register space behind each BAR (what `pci_iomap` / `ioremap` of the BAR reaches). */
  readonly bars: readonly (MmioRegion | undefined)[];
  /** `pdev->resource[0..6]` (6 = ROM). */
  readonly resource: readonly PciResource[];
  /** Expansion ROM contents, if any. */
  readonly rom: Uint8Array | undefined;
  /** Configuration space. */
  readonly config: PciConfigSpace;
  /** `pdev->is_virtfn`. */
  readonly isVirtfn: boolean;
  /** `pdev->physfn`: the PF of a VF. */
  readonly physfn: PciDev | undefined;
  /** SR-IOV state (PFs with the capability). */
  readonly sriov: PciSriov | undefined;
  /** The bound driver (`pdev->driver`). */
  driver: PciDriver | undefined = undefined;
  /** sysfs `driver_override`. */
  driverOverride: string | undefined = undefined;
  /** `dev_get_drvdata` / `pci_get_drvdata`. */
  drvdata: unknown = undefined;
  /**
   * The function as its IOMMU sees it (`dev->iommu` + its group), from `desc.iommu`; undefined when the
   * function is not behind an IOMMU. Its `dmaPort` translates through the attached domain.
   */
  readonly iommu: IommuDevice | undefined;
  /** The DMA port last handed to the device model through {@link setDmaPort} (undefined: never). */
  dmaPort: DmaPort | undefined = undefined;
  /** @internal VF index within the PF (for `pci_iov_vf_id`). */
  readonly vfIndex: number;
  /** @internal */
  readonly desc: PciFunctionDesc;

  constructor(
    /** The host (`PciHost`) the function sits on. */
    readonly host: PciBus,
    desc: PciFunctionDesc,
    barStarts: readonly number[],
    physfn?: { pf: PciDev; index: number },
  ) {
    const addr = parsePciName(desc.name);
    if (desc.bars.length > PCI_STD_NUM_BARS) {
      throw new KernelError('EINVAL', `${desc.name}: ${desc.bars.length} BARs > ${PCI_STD_NUM_BARS}`);
    }
    this.desc = desc;
    this.name = desc.name;
    this.vendor = desc.vendor;
    this.device = desc.device;
    this.revision = desc.revision;
    this.classCode = desc.classCode ?? 0x12_00_00;
    this.subsystemVendor = desc.subsystemVendor ?? desc.vendor;
    this.subsystemDevice = desc.subsystemDevice ?? desc.device;
    this.domain = addr.domain;
    this.bus = addr.bus;
    this.devfn = addr.devfn;
    const bars: (MmioRegion | undefined)[] = [];
    const resource: PciResource[] = [];
    for (let i = 0; i < PCI_STD_NUM_BARS; i++) {
      const bar = desc.bars[i];
      bars.push(bar);
      if (bar === undefined || bar.size === 0) {
        resource.push({ start: 0, len: 0, flags: 0, mmap: false });
      } else {
        const pageable = bar.size % 4096 === 0;
        resource.push({
          start: barStarts[i] ?? 0,
          len: bar.size,
          flags: IORESOURCE_MEM,
          mmap: pageable && (desc.barMmap?.[i] ?? true),
        });
      }
    }
    this.bars = bars;
    this.rom = desc.rom;
    resource.push(
      desc.rom === undefined || desc.rom.length === 0
        ? { start: 0, len: 0, flags: 0, mmap: false }
        : {
            start: barStarts[PCI_ROM_RESOURCE] ?? 0,
            len: desc.rom.length,
            flags: IORESOURCE_MEM | IORESOURCE_READONLY,
            mmap: false,
          },
    );
    this.resource = resource;
    this.config = new PciConfigSpace(desc.configSize ?? PCI_CFG_SPACE_EXP_SIZE, {
      vendor: this.vendor,
      device: this.device,
      revision: this.revision,
      classCode: this.classCode,
      subsystemVendor: this.subsystemVendor,
      subsystemDevice: this.subsystemDevice,
      barStarts: resource.slice(0, PCI_STD_NUM_BARS).map((r) => r.start),
      interruptPin: desc.interruptPin ?? 0,
    });
    this.isVirtfn = physfn !== undefined;
    this.physfn = physfn?.pf;
    this.vfIndex = physfn?.index ?? -1;
    this.sriov =
      desc.sriov === undefined ? undefined : { totalVfs: desc.sriov.totalVfs ?? 255, numVfs: 0, vfs: [] };
    this.iommu = desc.iommu === undefined ? undefined : new IommuDevice(desc.iommu, desc.name);
  }

  /**
   * Point the device model's DMA at `port` (through `desc.setDmaPort`; a function without the hook only
   * records it in {@link dmaPort}). The model's counterpart of a DMA-capable device changing IOMMU domain.
   */
  setDmaPort(port: DmaPort): void {
    this.dmaPort = port;
    this.desc.setDmaPort?.(port);
  }

  /** `pdev->cfg_size`. */
  get cfgSize(): number {
    return this.config.size;
  }

  /** `pdev->is_physfn`: has the SR-IOV capability. */
  get isPhysfn(): boolean {
    return this.sriov !== undefined;
  }

  /** Whether the function implements a reset (`pdev->reset_fn`). */
  get hasReset(): boolean {
    return this.desc.reset !== undefined;
  }

  /** `pci_name(pdev)`. */
  toString(): string {
    return this.name;
  }
}

/** `pci_resource_len(pdev, bar)`. */
export function pciResourceLen(pdev: PciDev, bar: number): number {
  return pdev.resource[bar]?.len ?? 0;
}

/** `pci_resource_start(pdev, bar)`. */
export function pciResourceStart(pdev: PciDev, bar: number): number {
  return pdev.resource[bar]?.start ?? 0;
}

/** `pci_get_drvdata(pdev)`, typed by the caller. */
export function pciGetDrvdata<T>(pdev: PciDev): T | undefined {
  return pdev.drvdata as T | undefined;
}

/** `pci_set_drvdata(pdev, data)`. */
export function pciSetDrvdata(pdev: PciDev, data: unknown): void {
  pdev.drvdata = data;
}

/**
 * The PCI error/reset callbacks a driver may provide (kernel `struct pci_error_handlers`, the reset
 * pair). `pci_try_reset_function` calls `resetPrepare` before and `resetDone` after the reset.
 */
export interface PciErrorHandlers {
  /** `reset_prepare`. */
  resetPrepare?(pdev: PciDev): void;
  /** `reset_done`. */
  resetDone?(pdev: PciDev): void;
}

/**
 * A PCI driver (kernel `struct pci_driver`). `probe` throws a KernelError to refuse the device; on
 * success it normally sets drvdata. Variant vfio drivers list their ids with
 * `PCI_DRIVER_OVERRIDE_DEVICE_VFIO` so they bind only through `driver_override`.
 */
export interface PciDriver {
  readonly name: string;
  readonly idTable: readonly PciDeviceId[];
  /** Bind to `pdev`, matched by `id` (`struct pci_driver.probe`); throw a KernelError to refuse. */
  probe(pdev: PciDev, id: PciDeviceId): void;
  /** Unbind from `pdev` (`struct pci_driver.remove`). */
  remove?(pdev: PciDev): void;
  /** `sriov_configure`: enable `numVfs` VFs (0 = disable); returns the number enabled. */
  sriovConfigure?(pdev: PciDev, numVfs: number): number;
  /** `err_handler`. */
  readonly errHandler?: PciErrorHandlers;
}
