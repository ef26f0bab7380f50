/** `MTTY_CONFIG_SPACE_SIZE`: the emulated config space (0xff bytes — one short of 256, as the sample has it). */
export const MTTY_CONFIG_SPACE_SIZE = 0xff;
/** `MTTY_IO_BAR_SIZE`: each port is an 8-byte I/O BAR (BAR0 = port 0, BAR1 = port 1). */
export const MTTY_IO_BAR_SIZE = 0x8;
/** PCI vendor/device dword the sample reports (`0x32534348`: vendor 0x4348, device 0x3253). */
export const MTTY_PCI_ID = 0x32534348;

/** `PCI_BASE_ADDRESS_0`: config offset of BAR0. */
const PCI_BASE_ADDRESS_0 = 0x10;
const PCI_COMMAND = 0x04;
const PCI_STATUS = 0x06;
const PCI_INTERRUPT_LINE = 0x3c;
const PCI_INTERRUPT_PIN = 0x3d;

function storeLe32(cfg: Uint8Array, offset: number, value: number): void {
  cfg[offset] = value & 0xff;
  cfg[offset + 1] = (value >>> 8) & 0xff;
  cfg[offset + 2] = (value >>> 16) & 0xff;
  cfg[offset + 3] = (value >>> 24) & 0xff;
}

function loadLe32(cfg: Uint8Array, offset: number): number {
  return (cfg[offset]! | (cfg[offset + 1]! << 8) | (cfg[offset + 2]! << 16) | (cfg[offset + 3]! << 24)) >>> 0;
}

/**
 * `mtty_create_config_space()`: a 16550-compatible serial controller (class 07/00/02, revision 0x10),
 * I/O space enabled, no capability list, INTA#, BAR0 (and BAR1 for two ports) an 8-byte I/O BAR, the
 * sample's vendor-specific bytes at 0x40 and its "PCI Serial/UART" string at 0x60. Returns the BAR masks
 * (`bar_mask[]`): what a sizing write of all ones leaves in a BAR.
 */
export function mttyCreateConfigSpace(cfg: Uint8Array, nrPorts: number): Uint32Array {
  const barMask = new Uint32Array(6);
  cfg.fill(0);
  storeLe32(cfg, 0x00, MTTY_PCI_ID);
  cfg[PCI_COMMAND] = 0x01; // I/O+, Mem-, BusMaster-
  cfg[PCI_STATUS + 1] = 0x02; // 0x0200
  cfg[0x08] = 0x10; // revision
  cfg[0x09] = 0x02; // programming interface: 16550-compatible
  cfg[0x0a] = 0x00; // subclass
  cfg[0x0b] = 0x07; // simple communication controller
  storeLe32(cfg, PCI_BASE_ADDRESS_0, 0x000001); // BAR0: I/O space
  barMask[0] = (~MTTY_IO_BAR_SIZE + 1) >>> 0;
  if (nrPorts === 2) {
    storeLe32(cfg, PCI_BASE_ADDRESS_0 + 4, 0x000001);
    barMask[1] = (~MTTY_IO_BAR_SIZE + 1) >>> 0;
  }
  storeLe32(cfg, 0x2c, MTTY_PCI_ID); // subsystem id
  cfg[0x34] = 0x00; // no capability list
  cfg[PCI_INTERRUPT_PIN] = 0x01; // INTA#
  cfg[0x40] = 0x23;
  cfg[0x43] = 0x80;
  cfg[0x44] = 0x23;
  cfg[0x48] = 0x23;
  cfg[0x4c] = 0x23;
  const label = 'PCI Serial/UART';
  for (let i = 0; i < label.length; i++) cfg[0x60 + i] = label.charCodeAt(i);
  return barMask;
}

/**
 * `handle_pci_cfg_write()`: a guest write of `value` (`count` bytes, little-endian) at `offset`. Only a
 * few offsets are writable: the interrupt line, and BAR0/BAR1 (all ones sizes the BAR through its mask;
 * the I/O-space bit is kept). BAR1 of a one-port device and BAR2–BAR4 read back 0. Command, status, the
 * interrupt pin and every other offset ignore writes (the sample logs them).
 */
export function handlePciCfgWrite(
  cfg: Uint8Array,
  barMask: Uint32Array,
  nrPorts: number,
  offset: number,
  value: number,
): void {
  switch (offset) {
    case PCI_INTERRUPT_LINE:
      cfg[PCI_INTERRUPT_LINE] = value & 0xff;
      return;
    case PCI_BASE_ADDRESS_0:
    case PCI_BASE_ADDRESS_0 + 4: {
      const bar = (offset - PCI_BASE_ADDRESS_0) / 4;
      if (nrPorts === 1 && bar === 1) {
        storeLe32(cfg, offset, 0);
        return;
      }
      let addr = value >>> 0;
      if (addr === 0xffff_ffff) addr = (addr & barMask[bar]!) >>> 0;
      storeLe32(cfg, offset, (addr | (loadLe32(cfg, offset) & 0x3)) >>> 0);
      return;
    }
    case PCI_BASE_ADDRESS_0 + 8:
    case PCI_BASE_ADDRESS_0 + 12:
    case PCI_BASE_ADDRESS_0 + 16:
      storeLe32(cfg, offset, 0);
      return;
    default:
      return;
  }
}
