import { type DmaPageTracker, IommufdClient, type IommufdCtx, IommuHw, openIommufd } from '@vfio-sim/iommufd';
import {
  type DmaPort,
  GuestMemory,
  KernelError,
  type KernelFile,
  Process,
  UserMemory,
} from '@vfio-sim/platform';
import type { PciDev, PciDriver } from '../pci/pci-dev.js';
import { PciHost } from '../pci/pci-host.js';
import { PCI_DRIVER_OVERRIDE_DEVICE_VFIO } from '../pci/pci-ids.js';
import { VFIO_PCI_CORE_OPS } from '../pci-core/core-ops.js';
import { vfioPciCoreProbe, vfioPciCoreRemove } from '../pci-core/register.js';
import { VfioPciCoreDevice } from '../pci-core/vfio-pci-core-device.js';
import { vfioLogOpsFromTracker } from '../vfio/log-ops-tracker.js';
import { Vfio } from '../vfio/vfio.js';
import type { VfioDeviceOps } from '../vfio/vfio-device.js';
import { RamBar } from './ram-bar.js';

export const CDEV_DRIVER = 'cdev-vfio-pci';
/** Guest RAM size of the bed (mapped at IOVA 0). */
export const CDEV_RAM = 1 << 20;

/** A device model's DMA engine: the port vfio-core handed it (through `PciFunctionDesc.setDmaPort`). */
export interface DmaEngine {
  port: DmaPort | undefined;
}

/** A vfio-pci-core device that records the ops vfio_main calls, and can be told to fail `open_device`. */
export class CdevDevice extends VfioPciCoreDevice {
  readonly events: string[] = [];
  failOpen = false;
}

const CDEV_OPS: VfioDeviceOps<CdevDevice> = {
  ...(VFIO_PCI_CORE_OPS as VfioDeviceOps<CdevDevice>),
  name: CDEV_DRIVER,
  openDevice(vdev) {
    if (vdev.failOpen) throw new KernelError('EIO', 'open_device fails (test)');
    VFIO_PCI_CORE_OPS.openDevice!(vdev);
    vdev.events.push('open');
  },
  closeDevice(vdev) {
    VFIO_PCI_CORE_OPS.closeDevice!(vdev);
    vdev.events.push('close');
  },
  bindIommufd(vdev, ictx) {
    const id = VFIO_PCI_CORE_OPS.bindIommufd!(vdev, ictx);
    vdev.events.push('bind');
    return id;
  },
  unbindIommufd(vdev) {
    VFIO_PCI_CORE_OPS.unbindIommufd!(vdev);
    vdev.events.push('unbind');
  },
};

function cdevDriver(tracker: DmaPageTracker | undefined): PciDriver {
  return {
    name: CDEV_DRIVER,
    idTable: [PCI_DRIVER_OVERRIDE_DEVICE_VFIO(0x19e5, 0xa251)],
    probe(pdev) {
      vfioPciCoreProbe(pdev, CDEV_OPS as VfioDeviceOps, {
        create: (p, ops, o) => {
          const d = new CdevDevice(p, ops, o);
          if (tracker !== undefined) d.logOps = vfioLogOpsFromTracker(tracker);
          return d;
        },
      });
    },
    remove: vfioPciCoreRemove,
  };
}

/** Options of {@link cdevBed}. */
export interface CdevBedOptions {
  /** The device tracks its own DMA writes (log_ops from this tracker; its port is wrapped). */
  readonly tracker?: DmaPageTracker;
}

/**
 * A host with three VFs on the cdev driver: `dirty` behind a VT-d IOMMU that can track dirty pages,
 * `plain` behind one that cannot, `noIommu` behind none; a VMM process with 1 MiB of guest RAM and an
 * open `/dev/iommu` (fd `iommufdFd`, context `ictx`, client `iommufd`).
 */
export function cdevBed(options: CdevBedOptions = {}) {
  const host = new PciHost('cdev-bed');
  const dirtyHw = new IommuHw({ format: 'vtd-ss', name: 'dmar0' });
  const plainHw = new IommuHw({ format: 'vtd-ss', dirtyTracking: false, name: 'dmar1' });
  const engines = new Map<string, DmaEngine>();
  const driver = cdevDriver(options.tracker);
  host.pciDriverRegister(driver);
  const add = (
    name: string,
    iommu: IommuHw | undefined,
  ): { pdev: PciDev; vdev: CdevDevice; engine: DmaEngine } => {
    const engine: DmaEngine = { port: undefined };
    engines.set(name, engine);
    const tracker = options.tracker;
    const pdev = host.addFunction({
      name,
      vendor: 0x19e5,
      device: 0xa251,
      revision: 0x30,
      bars: [undefined, undefined, new RamBar(0x10000)],
      ...(iommu === undefined ? {} : { iommu }),
      setDmaPort: (port) => {
        engine.port = tracker === undefined ? port : tracker.wrap(port);
      },
    });
    host.setDriverOverride(pdev, CDEV_DRIVER);
    host.probe(pdev);
    return { pdev, vdev: pdev.drvdata as CdevDevice, engine };
  };
  const dirty = add('0000:75:00.1', dirtyHw);
  const plain = add('0000:75:00.2', plainHw);
  const noIommu = add('0000:75:00.3', undefined);
  const mm = new UserMemory();
  const process = new Process(mm, 'qemu');
  const ram = new GuestMemory(CDEV_RAM);
  const ramVa = mm.mmap(ram);
  const iommufdFile: KernelFile<IommufdCtx> = openIommufd();
  const iommufdFd = process.install(iommufdFile);
  const iommufd = new IommufdClient(process, iommufdFd);
  return {
    host,
    vfio: Vfio.of(host),
    dirty,
    plain,
    noIommu,
    process,
    mm,
    ram,
    ramVa,
    iommufdFile,
    iommufdFd,
    ictx: iommufdFile.privateData,
    iommufd,
  };
}

/**
 * A {@link cdevBed} with the dirty-capable VF opened as a device cdev and bound to the iommufd (`h`,
 * `devid`), and the guest RAM mapped at IOVA 0 in a new IOAS (`ioas`, not attached yet).
 */
export function cdevBoundBed(options: CdevBedOptions = {}) {
  const bed = cdevBed(options);
  const h = bed.vfio.openDeviceCdev(bed.process, bed.dirty.pdev.name);
  const devid = h.bindIommufd(bed.iommufdFd);
  const ioas = bed.iommufd.ioasAlloc();
  bed.iommufd.ioasMap(ioas, bed.ramVa, CDEV_RAM, { iova: 0 });
  return { ...bed, h, devid, ioas };
}
