import { KernelError } from '@vfio-sim/platform';
import {
  PCI_ROM_RESOURCE,
  PCI_STD_NUM_BARS,
  type PciBus,
  PciDev,
  type PciDriver,
  type PciFunctionDesc,
  parsePciName,
} from './pci-dev.js';

import { PCI_DEVICE_ID_ANY, type PciDeviceId, pciMatchOneDevice } from './pci-ids.js';

/** Options of a {@link PciHost}. */
export interface PciHostOptions {
  /** Where BARs are placed on the bus (default 0x8000_0000). */
  readonly mmioBase?: number;
}

/**
 * One simulated machine's PCI subsystem: its functions (by bus and devfn), the registered drivers, and
 * the driver-core operations the kernel and sysfs offer — add a function, register a driver, write
 * `driver_override`, bind/unbind, enable SR-IOV, reset.
 *
 * Kernel counterpart: drivers/pci/probe.c (device add, BAR assignment), drivers/pci/pci-driver.c
 * (`pci_match_device`, `__pci_register_driver`, driver_override), drivers/base/dd.c (bind/unbind),
 * drivers/pci/iov.c (SR-IOV).
 */
export class PciHost implements PciBus {
  private readonly devices = new Map<string, PciDev>();
  private readonly drivers = new Map<string, PciDriver>();
  private nextMmio: number;

  constructor(
    readonly name = 'host',
    options: PciHostOptions = {},
  ) {
    this.nextMmio = options.mmioBase ?? 0x8000_0000;
  }

  /**
   * Add a function to the bus (`pci_device_add` + `pci_bus_add_device`): BARs get bus addresses, the
   * config header is built, and the registered drivers are offered the device.
   * @throws KernelError EEXIST if the name is taken, EINVAL for a bad name or BAR list.
   */
  addFunction(desc: PciFunctionDesc): PciDev {
    return this.add(desc);
  }

  /** @internal shared by addFunction and SR-IOV enable. */
  add(desc: PciFunctionDesc, physfn?: { pf: PciDev; index: number }): PciDev {
    parsePciName(desc.name);
    if (this.devices.has(desc.name)) throw new KernelError('EEXIST', `${desc.name} already exists`);
    if (desc.bars.length > PCI_STD_NUM_BARS) {
      throw new KernelError('EINVAL', `${desc.name}: ${desc.bars.length} BARs > ${PCI_STD_NUM_BARS}`);
    }
    const starts: number[] = [];
    for (let i = 0; i < PCI_STD_NUM_BARS; i++) starts.push(this.place(desc.bars[i]?.size ?? 0));
    starts[PCI_ROM_RESOURCE] = this.place(desc.rom?.length ?? 0);
    const pdev = new PciDev(this, desc, starts, physfn);
    this.devices.set(pdev.name, pdev);
    this.attach(pdev);
    return pdev;
  }

  /**
   * Remove a function (`pci_stop_and_remove_bus_device`): VFs first, then unbind, then forget it.
   * @throws KernelError ENODEV if it is not on this host.
   */
  removeFunction(pdev: PciDev): void {
    this.own(pdev);
    if (pdev.sriov !== undefined && pdev.sriov.numVfs > 0) this.disableSriov(pdev);
    if (pdev.driver !== undefined) this.unbind(pdev);
    this.devices.delete(pdev.name);
  }

  /** Every function, sorted by name (bus, then devfn). */
  functions(): PciDev[] {
    return [...this.devices.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Bus numbers in use. */
  buses(): number[] {
    return [...new Set(this.functions().map((d) => d.bus))].sort((a, b) => a - b);
  }

  /** `pci_get_domain_bus_and_slot`: the function at `bus`/`devfn`, if any. */
  getSlot(bus: number, devfn: number, domain = 0): PciDev | undefined {
    return this.functions().find((d) => d.domain === domain && d.bus === bus && d.devfn === devfn);
  }

  /** The function named `name` (e.g. `'0000:75:00.1'`). @throws KernelError ENODEV */
  get(name: string): PciDev {
    const d = this.devices.get(name);
    if (d === undefined) throw new KernelError('ENODEV', `no PCI function ${name} on ${this.name}`);
    return d;
  }

  /** The function named `name`, or undefined. */
  find(name: string): PciDev | undefined {
    return this.devices.get(name);
  }

  /**
   * `pci_register_driver`: register `driver` and bind it to every unbound function it matches (probe
   * failures leave the function unbound, as the kernel only logs them).
   * @throws KernelError EEXIST if a driver of that name is registered.
   */
  pciDriverRegister(driver: PciDriver): void {
    if (this.drivers.has(driver.name)) throw new KernelError('EEXIST', `driver ${driver.name} is registered`);
    this.drivers.set(driver.name, driver);
    for (const pdev of this.functions()) {
      if (pdev.driver === undefined && this.devices.has(pdev.name)) this.tryProbe(pdev, driver);
    }
  }

  /** `pci_unregister_driver`: unbind it from every function, then forget it. */
  pciUnregisterDriver(driver: PciDriver): void {
    for (const pdev of this.functions()) if (pdev.driver === driver) this.unbind(pdev);
    this.drivers.delete(driver.name);
  }

  /** The registered driver named `name`, if any. */
  driver(name: string): PciDriver | undefined {
    return this.drivers.get(name);
  }

  /** sysfs `driver_override` write (`undefined` or `''` clears it). Takes effect at the next bind. */
  setDriverOverride(pdev: PciDev, driverName: string | undefined): void {
    this.own(pdev);
    pdev.driverOverride = driverName === '' ? undefined : driverName;
  }

  /**
   * `pci_match_device`: the id entry through which `driver` matches `pdev`, or undefined. With
   * `driver_override` set only the named driver matches (with a dummy id if no entry does);
   * `overrideOnly` entries match only through `driver_override`.
   */
  matchDevice(driver: PciDriver, pdev: PciDev): PciDeviceId | undefined {
    if (pdev.driverOverride !== undefined && pdev.driverOverride !== driver.name) return undefined;
    for (const id of driver.idTable) {
      if (!pciMatchOneDevice(id, pdev)) continue;
      if (pdev.driverOverride !== undefined) return id;
      if (id.overrideOnly !== true) return id;
    }
    return pdev.driverOverride !== undefined ? PCI_DEVICE_ID_ANY : undefined;
  }

  /**
   * sysfs `drivers/<name>/bind`: bind `pdev` to the named driver.
   * @throws KernelError ENODEV (no such driver or no match), EBUSY (already bound), or the probe's error.
   */
  bind(pdev: PciDev, driverName: string): void {
    this.own(pdev);
    const driver = this.drivers.get(driverName);
    if (driver === undefined) throw new KernelError('ENODEV', `no driver ${driverName}`);
    if (pdev.driver !== undefined)
      throw new KernelError('EBUSY', `${pdev.name} is bound to ${pdev.driver.name}`);
    const id = this.matchDevice(driver, pdev);
    if (id === undefined) throw new KernelError('ENODEV', `${driverName} does not match ${pdev.name}`);
    this.probeWith(pdev, driver, id);
  }

  /**
   * sysfs `drivers_probe`: offer `pdev` to every registered driver (registration order); returns the
   * driver that bound, if any.
   */
  probe(pdev: PciDev): PciDriver | undefined {
    this.own(pdev);
    if (pdev.driver !== undefined) return pdev.driver;
    this.attach(pdev);
    return pdev.driver;
  }

  /** sysfs `unbind` (`device_release_driver`): `remove`, then drvdata is cleared. No-op if unbound. */
  unbind(pdev: PciDev): void {
    this.own(pdev);
    const driver = pdev.driver;
    if (driver === undefined) return;
    driver.remove?.(pdev);
    pdev.driver = undefined;
    pdev.drvdata = undefined;
  }

  /**
   * sysfs `sriov_numvfs` write: asks the PF's driver (`sriov_configure`) to enable `numVfs` VFs.
   * @throws KernelError ENOENT if the PF's driver has no `sriov_configure`, EINVAL if not a PF.
   */
  sriovConfigure(pf: PciDev, numVfs: number): number {
    this.own(pf);
    if (pf.sriov === undefined) throw new KernelError('EINVAL', `${pf.name} has no SR-IOV capability`);
    const cfg = pf.driver?.sriovConfigure;
    if (cfg === undefined) throw new KernelError('ENOENT', `${pf.name}: driver cannot configure SR-IOV`);
    return cfg.call(pf.driver, pf, numVfs);
  }

  /** @internal see {@link pciEnableSriov}. */
  enableSriov(pf: PciDev, numVfs: number): PciDev[] {
    this.own(pf);
    const sriov = pf.sriov;
    if (sriov === undefined) throw new KernelError('ENODEV', `${pf.name} has no SR-IOV capability`);
    if (!Number.isSafeInteger(numVfs) || numVfs <= 0 || numVfs > sriov.totalVfs) {
      throw new KernelError('EINVAL', `${pf.name}: ${numVfs} VFs (TotalVFs ${sriov.totalVfs})`);
    }
    if (sriov.numVfs !== 0) throw new KernelError('EBUSY', `${pf.name}: ${sriov.numVfs} VFs already enabled`);
    const descs = Array.from({ length: numVfs }, (_, i) => pf.desc.sriov!.createVf(i));
    for (const d of descs) {
      parsePciName(d.name);
      if (this.devices.has(d.name)) throw new KernelError('EEXIST', `VF name ${d.name} already exists`);
    }
    sriov.numVfs = numVfs;
    for (const [i, d] of descs.entries()) sriov.vfs.push(this.add(d, { pf, index: i }));
    return [...sriov.vfs];
  }

  /** @internal see {@link pciDisableSriov}. */
  disableSriov(pf: PciDev): void {
    this.own(pf);
    const sriov = pf.sriov;
    if (sriov === undefined) return;
    for (const vf of [...sriov.vfs].reverse()) {
      if (vf.driver !== undefined) this.unbind(vf);
      this.devices.delete(vf.name);
    }
    sriov.vfs.length = 0;
    sriov.numVfs = 0;
  }

  private attach(pdev: PciDev): void {
    for (const driver of this.drivers.values()) {
      if (pdev.driver !== undefined) return;
      this.tryProbe(pdev, driver);
    }
  }

  private tryProbe(pdev: PciDev, driver: PciDriver): void {
    const id = this.matchDevice(driver, pdev);
    if (id === undefined) return;
    try {
      this.probeWith(pdev, driver, id);
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
      // The kernel logs "probe of <dev> failed with error -N" and leaves the device unbound.
    }
  }

  private probeWith(pdev: PciDev, driver: PciDriver, id: PciDeviceId): void {
    pdev.driver = driver;
    try {
      driver.probe(pdev, id);
    } catch (e) {
      pdev.driver = undefined;
      pdev.drvdata = undefined;
      throw e;
    }
  }

  private place(size: number): number {
    if (size <= 0) return 0;
    let align = 4096;
    while (align < size) align *= 2;
    const start = Math.ceil(this.nextMmio / align) * align;
    this.nextMmio = start + align;
    return start;
  }

  private own(pdev: PciDev): void {
    if (this.devices.get(pdev.name) !== pdev)
      throw new KernelError('ENODEV', `${pdev.name} is not on host ${this.name}`);
  }
}
