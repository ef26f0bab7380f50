import { KernelError } from '@vfio-sim/platform';
import {
  PCI_BASE_ADDRESS_0,
  PCI_BASE_ADDRESS_MEM_TYPE_64,
  PCI_BASE_ADDRESS_MEM_TYPE_MASK,
  PCI_CACHE_LINE_SIZE,
  PCI_CFG_SPACE_SIZE,
  PCI_CLASS_DEVICE,
  PCI_CLASS_PROG,
  PCI_COMMAND,
  PCI_COMMAND_INTX_DISABLE,
  PCI_COMMAND_IO,
  PCI_COMMAND_MASTER,
  PCI_COMMAND_MEMORY,
  PCI_DEVICE_ID,
  PCI_HEADER_TYPE,
  PCI_INTERRUPT_LINE,
  PCI_LATENCY_TIMER,
  PCI_REVISION_ID,
  PCI_VENDOR_ID,
  type QemuFileReader,
  type QemuFileWriter,
  VFIO_PCI_CONFIG_REGION_INDEX,
  type VfioDeviceConfigOps,
  type VfioDeviceHandle,
} from '@vfio-sim/vfio-core';

/** QEMU's `vdev->interrupt` (hw/vfio/pci.h): no interrupt set up yet. */
export const VFIO_INT_NONE = 0;
/** QEMU's `vdev->interrupt`: the legacy INTx pin. */
export const VFIO_INT_INTx = 1;
/** QEMU's `vdev->interrupt`: MSI vectors. */
export const VFIO_INT_MSI = 2;
/** QEMU's `vdev->interrupt`: MSI-X vectors. */
export const VFIO_INT_MSIX = 3;

/** The standard BARs (`PCI_ROM_SLOT` = 6). */
const PCI_NUM_BARS = 6;
/** The low bits of a BAR that are its type, not its address (`PCI_BASE_ADDRESS_MEM_MASK` inverted). */
const PCI_BASE_ADDRESS_FLAGS = 0xf;
/** The PCI device vmstate's interrupt pin levels (`irq_state`, 4 × be32). */
const PCI_NUM_PINS = 4;

/** How a device signals its guest, as the guest set it up. */
export interface GuestInterrupts {
  /** `VFIO_INT_NONE` / `VFIO_INT_INTx` / `VFIO_INT_MSI` / `VFIO_INT_MSIX`. */
  readonly type: number;
  /** Each vector's message address and data (empty for INTx). */
  readonly vectors: readonly { readonly address: bigint; readonly data: number }[];
}

/** How a device model's interrupts are set up by the guest's driver. */
export interface InterruptSetup {
  /** `intx` (a pin), `msi` or `msix`. */
  readonly type: 'intx' | 'msi' | 'msix';
  /** Vectors the driver enables (MSI / MSI-X). */
  readonly vectors: number;
}

/** The MSI doorbell of the guest's interrupt controller (the GICv3 ITS translater on QEMU's arm virt). */
const GUEST_MSI_ADDRESS = 0x0809_0040n;

/**
 * A passed-through device's config space as QEMU emulates it for the guest: read from the device's
 * config region at realize, its BARs virtualized (the guest assigns addresses; QEMU maps the BARs
 * there), and every guest write taken through the write mask — the command register forwarded to the
 * device (`vfio_pci_write_config`). With the interrupt setup the guest's driver made, this is what a
 * migration's CONFIG section carries ({@link save} / {@link load}: `vfio_pci_save_config` /
 * `vfio_pci_load_config`), so the guest finds on the destination the device it left.
 *
 * The config bytes and the pin levels are laid out as QEMU's `PCIDevice` vmstate (`config` of
 * `PCI_CFG_SPACE_SIZE` bytes, `irq_state` as 4 × be32); the interrupt setup follows as
 * `be32 type, be32 nr_vectors, nr × (be64 address, be32 data)` — the model's devices have no MSI/MSI-X
 * capability in config space (a deliberate difference), so their vectors are not in `config`.
 *
 * VMM counterpart: QEMU's `VFIOPCIDevice.pdev.config` with `cmask` / `wmask` (hw/pci/pci.c,
 * `pci_init_cmask`, `pci_init_wmask`), `vfio_pci_read_config` / `vfio_pci_write_config`,
 * `vmstate_vfio_pci_config`, `vfio_msi_enable` (hw/vfio/pci.c).
 */
export class EmulatedPciConfig implements VfioDeviceConfigOps {
  /** The guest-visible config space. */
  readonly bytes = new Uint8Array(PCI_CFG_SPACE_SIZE);
  /** Bits checked on load (`cmask`): the device's identity must match on the destination. */
  private readonly cmask = new Uint8Array(PCI_CFG_SPACE_SIZE);
  /** Bits the guest may write (`wmask`). */
  private readonly wmask = new Uint8Array(PCI_CFG_SPACE_SIZE);
  private interruptsSet: GuestInterrupts = { type: VFIO_INT_NONE, vectors: [] };
  private readonly barList: { bar: number; size: number }[] = [];
  private readonly view = new DataView(this.bytes.buffer);

  /**
   * Read the device's config space through the device fd (`vfio_pci_realize`: pread of the config
   * region) and virtualize its BARs (their sizes from GET_REGION_INFO).
   * @throws KernelError from the reads.
   */
  constructor(private readonly handle: VfioDeviceHandle) {
    // vfio_populate_device / vfio_pci_realize: read min(region size, PCI_CFG_SPACE_SIZE) bytes —
    // mtty's config region is 0xff bytes, so its last byte stays 0 here as in QEMU
    const regionSize = handle.getRegionInfo(VFIO_PCI_CONFIG_REGION_INDEX).size;
    this.bytes.set(handle.pread(this.offset(0), Math.min(regionSize, PCI_CFG_SPACE_SIZE)));
    for (const [off, n] of [
      [PCI_VENDOR_ID, 2],
      [PCI_DEVICE_ID, 2],
      [PCI_REVISION_ID, 1],
      [PCI_CLASS_PROG, 1],
      [PCI_CLASS_DEVICE, 2],
      [PCI_HEADER_TYPE, 1],
    ] as const)
      this.cmask.fill(0xff, off, off + n);
    const command = PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE;
    this.view.setUint16(PCI_COMMAND, 0, true);
    this.wmask[PCI_COMMAND] = command & 0xff;
    this.wmask[PCI_COMMAND + 1] = command >>> 8;
    for (const off of [PCI_CACHE_LINE_SIZE, PCI_LATENCY_TIMER, PCI_INTERRUPT_LINE]) this.wmask[off] = 0xff;
    // vfio_bars_prepare / pci_register_bar: the guest sees each BAR unassigned, its type bits kept and
    // its address bits writable down to the region's size; a 64-bit BAR's upper dword is all writable
    for (let bar = 0; bar < PCI_NUM_BARS; bar++) {
      const at = PCI_BASE_ADDRESS_0 + 4 * bar;
      const size = handle.getRegionInfo(bar).size;
      const flags = this.view.getUint32(at, true) & (size > 0 ? PCI_BASE_ADDRESS_FLAGS : 0);
      this.view.setUint32(at, flags, true);
      if (size === 0 || size > 0x8000_0000) continue;
      this.barList.push({ bar, size });
      this.setMask(at, ~(size - 1) & ~PCI_BASE_ADDRESS_FLAGS);
      if (
        (flags & PCI_BASE_ADDRESS_MEM_TYPE_MASK) === PCI_BASE_ADDRESS_MEM_TYPE_64 &&
        bar + 1 < PCI_NUM_BARS
      ) {
        this.view.setUint32(at + 4, 0, true);
        this.setMask(at + 4, 0xffff_ffff);
        bar++;
      }
    }
  }

  /** The BARs the device has (index and size), as the guest's firmware sizes them. */
  get bars(): readonly { readonly bar: number; readonly size: number }[] {
    return this.barList;
  }

  /** How the guest's driver set up the device's interrupts. */
  get interrupts(): GuestInterrupts {
    return this.interruptsSet;
  }

  /** `width` bytes at `offset`, as the guest reads them. */
  read(offset: number, width: 1 | 2 | 4): number {
    this.check(offset, width);
    if (width === 1) return this.view.getUint8(offset);
    if (width === 2) return this.view.getUint16(offset, true);
    return this.view.getUint32(offset, true);
  }

  /**
   * A guest config write (`vfio_pci_write_config`): only writable bits change; the command register
   * goes on to the device's config through the device fd.
   * @throws KernelError EINVAL outside config space; from the device's pwrite.
   */
  write(offset: number, width: 1 | 2 | 4, value: number): void {
    this.check(offset, width);
    for (let i = 0; i < width; i++) {
      const mask = this.wmask[offset + i] as number;
      const b = (value >>> (8 * i)) & 0xff;
      this.bytes[offset + i] = ((this.bytes[offset + i] as number) & ~mask) | (b & mask);
    }
    if (offset <= PCI_COMMAND + 1 && offset + width > PCI_COMMAND) this.forwardCommand();
  }

  /**
   * The guest's driver enables the device (`pci_enable_device`, `pci_set_master`: memory decoding and
   * bus mastering, forwarded to the device) and sets up its interrupts (`pci_alloc_irq_vectors`:
   * `setup.vectors` MSI/MSI-X messages to the interrupt controller, or the INTx pin). The BARs are
   * assigned first (the guest's firmware: `assignGuestBars`).
   * @throws KernelError from the device's config write.
   */
  enable(setup: InterruptSetup | undefined): void {
    this.write(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    if (setup === undefined) return;
    const type = setup.type === 'msi' ? VFIO_INT_MSI : setup.type === 'msix' ? VFIO_INT_MSIX : VFIO_INT_INTx;
    const vectors =
      type === VFIO_INT_INTx
        ? []
        : Array.from({ length: setup.vectors }, (_, v) => ({ address: GUEST_MSI_ADDRESS, data: v }));
    this.interruptsSet = { type, vectors };
  }

  /**
   * `vfio_pci_save_config`: the config space, the pin levels, the interrupt setup (see the class).
   */
  save(out: QemuFileWriter): void {
    out.putBuffer(this.bytes);
    for (let pin = 0; pin < PCI_NUM_PINS; pin++) out.putBe32(0);
    out.putBe32(this.interruptsSet.type);
    out.putBe32(this.interruptsSet.vectors.length);
    for (const v of this.interruptsSet.vectors) {
      out.putBe64(v.address);
      out.putBe32(v.data);
    }
  }

  /**
   * `vfio_pci_load_config`: read the source's config state; refuse it if a checked bit differs from this
   * device's (`get_pci_config_device`: "Bad config data"); then take it — the command register written
   * to the device (`vfio_pci_write_config(pdev, PCI_COMMAND, …)`), the interrupts set up as the source's
   * guest had them (`vfio_msi_enable`). Nothing changes when it is refused.
   * @throws KernelError EINVAL for a checked bit that differs or an unknown interrupt type; EIO if the
   *   section is short.
   */
  load(input: QemuFileReader): void {
    const config = input.getBuffer(PCI_CFG_SPACE_SIZE);
    for (let i = 0; i < PCI_CFG_SPACE_SIZE; i++) {
      const checked = (this.cmask[i] as number) & ~(this.wmask[i] as number);
      if (((config[i] as number) ^ (this.bytes[i] as number)) & checked)
        throw new KernelError(
          'EINVAL',
          `${this.handle.name}: Bad config data: i=0x${i.toString(16)} read: ${config[i]?.toString(16)} device: ${this.bytes[i]?.toString(16)} cmask: ${this.cmask[i]?.toString(16)}`,
        );
    }
    for (let pin = 0; pin < PCI_NUM_PINS; pin++) input.getBe32();
    const type = input.getBe32();
    if (type > VFIO_INT_MSIX) throw new KernelError('EINVAL', `${this.handle.name}: interrupt type ${type}`);
    const n = input.getBe32();
    const vectors = Array.from({ length: n }, () => ({ address: input.getBe64(), data: input.getBe32() }));
    this.bytes.set(config);
    this.interruptsSet = { type, vectors };
    this.forwardCommand();
  }

  /** Write the emulated command register to the device's config (pwrite on the device fd). */
  private forwardCommand(): void {
    this.handle.pwrite(this.offset(PCI_COMMAND), this.bytes.subarray(PCI_COMMAND, PCI_COMMAND + 2));
  }

  private offset(pos: number): number {
    return this.handle.regionOffset(VFIO_PCI_CONFIG_REGION_INDEX, pos);
  }

  private setMask(offset: number, mask: number): void {
    new DataView(this.wmask.buffer).setUint32(offset, mask >>> 0, true);
  }

  private check(offset: number, width: number): void {
    if (
      !Number.isInteger(offset) ||
      offset < 0 ||
      offset + width > PCI_CFG_SPACE_SIZE ||
      offset % width !== 0
    )
      throw new KernelError('EINVAL', `${this.handle.name}: config access of ${width} at ${offset}`);
  }
}
