import { KernelError } from '@vfio-sim/platform';

// Standard config header offsets (include/uapi/linux/pci_regs.h).
/** `PCI_VENDOR_ID` (include/uapi/linux/pci_regs.h): config offset 0x00, 16-bit vendor id. */
export const PCI_VENDOR_ID = 0x00;
/** `PCI_DEVICE_ID` (include/uapi/linux/pci_regs.h): config offset 0x02, 16-bit device id. */
export const PCI_DEVICE_ID = 0x02;
/**
 * `PCI_COMMAND` (include/uapi/linux/pci_regs.h): config offset 0x04, the 16-bit command register (decode
 * enables, bus mastering, INTx disable).
 */
export const PCI_COMMAND = 0x04;
/** `PCI_STATUS` (include/uapi/linux/pci_regs.h): config offset 0x06, the 16-bit status register. */
export const PCI_STATUS = 0x06;
/**
 * `PCI_REVISION_ID` (include/uapi/linux/pci_regs.h): config offset 0x08, the revision (the HiSilicon QM
 * version: 0x20/0x21/0x30).
 */
export const PCI_REVISION_ID = 0x08;
/**
 * `PCI_CLASS_PROG` (include/uapi/linux/pci_regs.h): config offset 0x09, the programming interface byte of
 * the class code.
 */
export const PCI_CLASS_PROG = 0x09;
/**
 * `PCI_CLASS_DEVICE` (include/uapi/linux/pci_regs.h): config offset 0x0a, base class and subclass (16 bits).
 */
export const PCI_CLASS_DEVICE = 0x0a;
/**
 * `PCI_CACHE_LINE_SIZE` (include/uapi/linux/pci_regs.h): config offset 0x0c, cache line size in dwords
 * (writable).
 */
export const PCI_CACHE_LINE_SIZE = 0x0c;
/** `PCI_LATENCY_TIMER` (include/uapi/linux/pci_regs.h): config offset 0x0d, the latency timer (writable). */
export const PCI_LATENCY_TIMER = 0x0d;
/**
 * `PCI_HEADER_TYPE` (include/uapi/linux/pci_regs.h): config offset 0x0e, header layout (0 = normal
 * function).
 */
export const PCI_HEADER_TYPE = 0x0e;
/** `PCI_BASE_ADDRESS_0` (include/uapi/linux/pci_regs.h): config offset 0x10, BAR 0; BAR n is at 0x10 + 4n. */
export const PCI_BASE_ADDRESS_0 = 0x10;
/** `PCI_SUBSYSTEM_VENDOR_ID` (include/uapi/linux/pci_regs.h): config offset 0x2c, subsystem vendor id. */
export const PCI_SUBSYSTEM_VENDOR_ID = 0x2c;
/** `PCI_SUBSYSTEM_ID` (include/uapi/linux/pci_regs.h): config offset 0x2e, subsystem id. */
export const PCI_SUBSYSTEM_ID = 0x2e;
/** `PCI_ROM_ADDRESS` (include/uapi/linux/pci_regs.h): config offset 0x30, the expansion ROM base address. */
export const PCI_ROM_ADDRESS = 0x30;
/**
 * `PCI_INTERRUPT_LINE` (include/uapi/linux/pci_regs.h): config offset 0x3c, the interrupt line (writable
 * scratch for firmware).
 */
export const PCI_INTERRUPT_LINE = 0x3c;
/**
 * `PCI_INTERRUPT_PIN` (include/uapi/linux/pci_regs.h): config offset 0x3d, the INTx pin used (0 = none, 1–4
 * = INTA–INTD).
 */
export const PCI_INTERRUPT_PIN = 0x3d;

// PCI_COMMAND bits.
/** `PCI_COMMAND_IO` (include/uapi/linux/pci_regs.h): command bit 0x1, respond to I/O space accesses. */
export const PCI_COMMAND_IO = 0x1;
/**
 * `PCI_COMMAND_MEMORY` (include/uapi/linux/pci_regs.h): command bit 0x2, respond to memory space accesses
 * (BAR decode).
 */
export const PCI_COMMAND_MEMORY = 0x2;
/**
 * `PCI_COMMAND_MASTER` (include/uapi/linux/pci_regs.h): command bit 0x4, bus mastering: the function may
 * issue DMA.
 */
export const PCI_COMMAND_MASTER = 0x4;
/**
 * `PCI_COMMAND_INTX_DISABLE` (include/uapi/linux/pci_regs.h): command bit 0x400, the function must not
 * assert INTx.
 */
export const PCI_COMMAND_INTX_DISABLE = 0x400;

/** `PCI_CFG_SPACE_SIZE` (include/linux/pci.h): 256, the size of conventional PCI config space. */
export const PCI_CFG_SPACE_SIZE = 256;
/** `PCI_CFG_SPACE_EXP_SIZE` (include/linux/pci.h): 4096, the size of PCIe extended config space. */
export const PCI_CFG_SPACE_EXP_SIZE = 4096;

/** BAR address bits: memory space, 32-bit (the model's BARs are all 32-bit memory BARs). */
export const PCI_BASE_ADDRESS_SPACE_MEMORY = 0;
/**
 * `PCI_BASE_ADDRESS_MEM_TYPE_MASK` (include/uapi/linux/pci_regs.h): BAR bits 2:1, where a memory BAR is
 * decoded (32-bit, 64-bit).
 */
export const PCI_BASE_ADDRESS_MEM_TYPE_MASK = 0x06;
/** `PCI_BASE_ADDRESS_MEM_TYPE_64` (include/uapi/linux/pci_regs.h): a 64-bit memory BAR (it takes two slots). */
export const PCI_BASE_ADDRESS_MEM_TYPE_64 = 0x04;

/** Which bytes of the header a user may change (the rest reads back unchanged, as vfio virtualizes it). */
const WRITABLE: ReadonlyArray<readonly [offset: number, mask: number]> = [
  [PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER],
  [PCI_COMMAND + 1, PCI_COMMAND_INTX_DISABLE >> 8],
  [PCI_CACHE_LINE_SIZE, 0xff],
  [PCI_LATENCY_TIMER, 0xff],
  [PCI_INTERRUPT_LINE, 0xff],
];

/** What a config header is built from. */
export interface PciConfigHeader {
  readonly vendor: number;
  readonly device: number;
  readonly revision: number;
  /** 24-bit class code (base class << 16 | subclass << 8 | prog-if). */
  readonly classCode: number;
  readonly subsystemVendor: number;
  readonly subsystemDevice: number;
  /** BAR start addresses (0 for an absent BAR). */
  readonly barStarts: readonly number[];
  readonly interruptPin: number;
}

/**
 * A function's configuration space: 256 bytes (conventional) or 4096 (PCIe) with a type-0 standard
 * header. Reads return bytes little-endian; writes change only the user-writable bits (command
 * register IO/MEM/MASTER/INTX_DISABLE, cache line size, latency timer, interrupt line) — everything else
 * is read-only, as vfio-pci's virtualized config space presents it.
 *
 * Kernel counterpart: `pdev->cfg_size`, `pci_read_config_*` / `pci_write_config_*`, and the
 * virtualization in drivers/vfio/pci/vfio_pci_config.c (much reduced).
 */
export class PciConfigSpace {
  readonly bytes: Uint8Array;
  private readonly writeMask: Uint8Array;
  private readonly view: DataView;

  constructor(
    readonly size: typeof PCI_CFG_SPACE_SIZE | typeof PCI_CFG_SPACE_EXP_SIZE,
    header: PciConfigHeader,
  ) {
    if (size !== PCI_CFG_SPACE_SIZE && size !== PCI_CFG_SPACE_EXP_SIZE) {
      throw new KernelError('EINVAL', `config space size ${size} is neither 256 nor 4096`);
    }
    this.bytes = new Uint8Array(size);
    this.writeMask = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
    const v = this.view;
    v.setUint16(PCI_VENDOR_ID, header.vendor, true);
    v.setUint16(PCI_DEVICE_ID, header.device, true);
    v.setUint8(PCI_REVISION_ID, header.revision);
    v.setUint8(PCI_CLASS_PROG, header.classCode & 0xff);
    v.setUint16(PCI_CLASS_DEVICE, (header.classCode >>> 8) & 0xffff, true);
    v.setUint8(PCI_HEADER_TYPE, 0);
    header.barStarts.forEach((start, i) => {
      v.setUint32(PCI_BASE_ADDRESS_0 + 4 * i, (start | PCI_BASE_ADDRESS_SPACE_MEMORY) >>> 0, true);
    });
    v.setUint16(PCI_SUBSYSTEM_VENDOR_ID, header.subsystemVendor, true);
    v.setUint16(PCI_SUBSYSTEM_ID, header.subsystemDevice, true);
    v.setUint8(PCI_INTERRUPT_PIN, header.interruptPin);
    for (const [off, mask] of WRITABLE) this.writeMask[off] = mask;
  }

  /** `pci_read_config_byte/word/dword`: `width` bytes at `offset`. @throws KernelError EINVAL outside */
  read(offset: number, width: 1 | 2 | 4): number {
    this.check(offset, width);
    if (width === 1) return this.view.getUint8(offset);
    if (width === 2) return this.view.getUint16(offset, true);
    return this.view.getUint32(offset, true);
  }

  /** `pci_write_config_*`: only writable bits change. @throws KernelError EINVAL outside */
  write(offset: number, width: 1 | 2 | 4, value: number): void {
    this.check(offset, width);
    for (let i = 0; i < width; i++) {
      const mask = this.writeMask[offset + i]!;
      const b = (value >>> (8 * i)) & 0xff;
      this.bytes[offset + i] = (this.bytes[offset + i]! & ~mask) | (b & mask);
    }
  }

  /** The command register (`PCI_COMMAND`). */
  get command(): number {
    return this.view.getUint16(PCI_COMMAND, true);
  }

  /** Reset the writable state to power-on values (a function reset clears the command register). */
  resetWritable(): void {
    for (let i = 0; i < this.size; i++) {
      const mask = this.writeMask[i]!;
      if (mask !== 0) this.bytes[i] = this.bytes[i]! & ~mask;
    }
  }

  private check(offset: number, width: number): void {
    if (!Number.isInteger(offset) || offset < 0 || offset + width > this.size || offset % width !== 0) {
      throw new KernelError('EINVAL', `config access of ${width} bytes at ${offset} (size ${this.size})`);
    }
  }
}
