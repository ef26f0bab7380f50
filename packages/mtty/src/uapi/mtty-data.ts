import { defineStruct } from '@vfio-sim/platform';

/** `MAX_FIFO_SIZE`: bytes of one port's loop-back FIFO (a power of two: the ring index wraps with `& 15`). */
export const MAX_FIFO_SIZE = 16;
/** `MAX_MTTYS`: serial ports all mtty devices of one host may use together. */
export const MAX_MTTYS = 24;

/**
 * `struct serial_port` (mtty.c), 36 bytes: the eight UART registers, the loop-back FIFO (`struct rxtx`:
 * `fifo[16]`, `head`, `tail`, `count`), DLAB and overrun flags (`bool`), the divisor (`u16`, after one
 * byte of padding), FCR, the FIFO size in use and the interrupt trigger level. The migration blob carries
 * it verbatim — the sample `memcpy`s the struct — so the model keeps each port's state in these bytes.
 */
export const serial_port = defineStruct(
  'serial_port',
  [
    { name: 'uart_reg', type: 'u8', count: 8, offset: 0 },
    { name: 'fifo', type: 'u8', count: MAX_FIFO_SIZE, offset: 8 },
    { name: 'head', type: 'u8', offset: 24 },
    { name: 'tail', type: 'u8', offset: 25 },
    { name: 'count', type: 'u8', offset: 26 },
    { name: 'dlab', type: 'u8', offset: 27 },
    { name: 'overrun', type: 'u8', offset: 28 },
    { name: 'divisor', type: 'u16', offset: 30 },
    { name: 'fcr', type: 'u8', offset: 32 },
    { name: 'max_fifo_size', type: 'u8', offset: 33 },
    { name: 'intr_trigger_level', type: 'u8', offset: 34 },
  ],
  { size: 36 },
);

/** `MTTY_MAGIC`: the first 8 bytes of every mtty migration blob ("nothing clever, just random"). */
export const MTTY_MAGIC = 0x7e9d09898c3e2c4en;
/** `MTTY_MAJOR_VER`. */
export const MTTY_MAJOR_VER = 1;
/** `MTTY_MINOR_VER`. */
export const MTTY_MINOR_VER = 0;

/**
 * `struct mtty_data` up to its `ports` array (`offsetof(struct mtty_data, ports)` = 24): the migration
 * blob's header. `nr_ports` `struct serial_port` records follow it.
 */
export const mtty_data = defineStruct(
  'mtty_data',
  [
    { name: 'magic', type: 'u64' },
    { name: 'major_ver', type: 'u32' },
    { name: 'minor_ver', type: 'u32' },
    { name: 'nr_ports', type: 'u32' },
    { name: 'flags', type: 'u32' },
  ],
  { size: 24 },
);

/** `offsetof(struct mtty_data, ports)`: where the port records start (24). */
export const MTTY_DATA_PORTS_OFFSET = mtty_data.size;

/**
 * `mtty_data_size()`: the blob of a device with `nrPorts` ports — header + `nrPorts` × 36. It is also
 * what MIG_DATA_SIZE reports and what a resume may hold at most.
 */
export function mttyDataSize(nrPorts: number): number {
  return MTTY_DATA_PORTS_OFFSET + nrPorts * serial_port.size;
}

/** The header a saving file starts with (`mtty_save_device_data()`): magic, 1.0, the port count, flags 0. */
export function mttyDataHeader(nrPorts: number): Uint8Array {
  return mtty_data.encode({
    magic: MTTY_MAGIC,
    major_ver: MTTY_MAJOR_VER,
    minor_ver: MTTY_MINOR_VER,
    nr_ports: nrPorts,
    flags: 0,
  });
}
