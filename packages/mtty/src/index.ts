/**
 * @packageDocumentation
 * The kernel's sample mediated device `mtty` (samples/vfio-mdev/mtty.c, with the v2 migration support of
 * Linux 6.7) written on vfio-core and migration-v2 the way a driver author writes one: an mdev parent
 * with two types, a vfio device emulating a 16550 UART per port, STOP_COPY | P2P | PRE_COPY migration
 * with the sample's `struct mtty_data` blob and arcs, no-op DMA-logging ops — and, for a VMM, a guest
 * driver for the UART and a loop-back workload whose bytes must survive a migration exactly once.
 */
export {
  handlePciCfgWrite,
  MTTY_CONFIG_SPACE_SIZE,
  MTTY_IO_BAR_SIZE,
  MTTY_PCI_ID,
  mttyCreateConfigSpace,
} from './device/config-space.js';
export { mttyIoctl, mttyReset } from './device/ioctl.js';
export { mdevAccess, mttyRw } from './device/mdev-access.js';
export { MttyMdevState } from './device/mdev-state.js';
export { SerialPort } from './device/serial-port.js';
export { MTTY_DEV_OPS, MTTY_MIGRATION_FLAGS } from './driver/mtty-dev-ops.js';
export {
  MTTY_DRIVER,
  MTTY_NAME,
  MTTY_TYPES,
  MttyDev,
  type MttyType,
  mttyDevExit,
  mttyDevInit,
} from './driver/mtty-parent.js';
export { GUEST_UART_MAX_IN_FLIGHT, GuestUart, UART_DIVISOR_115200 } from './guest/guest-uart.js';
export { MttyLoopbackWorkload, type MttyPortTally } from './guest/loopback-workload.js';
export { type UartIo, VfioRegionUartIo } from './guest/uart-io.js';
export { MTTY_LOG_OPS, MTTY_MIGRATION_OPS } from './migration/mig-ops.js';
export {
  MTTY_MIG,
  mttyCheckHeader,
  mttyDisableFiles,
  mttyLoadState,
  mttyResumeDeviceData,
  mttySaveDeviceData,
  mttySaveState,
} from './migration/mtty-migration-file.js';
export { MTTY_ARCS, type MttyArcAction, mttyArcKey, mttyStepState } from './migration/step-state.js';
export {
  MAX_FIFO_SIZE,
  MAX_MTTYS,
  MTTY_DATA_PORTS_OFFSET,
  MTTY_MAGIC,
  MTTY_MAJOR_VER,
  MTTY_MINOR_VER,
  mtty_data,
  mttyDataHeader,
  mttyDataSize,
  serial_port,
} from './uapi/mtty-data.js';
export * from './uapi/serial-reg.js';
