import { MAX_FIFO_SIZE, serial_port } from '../uapi/mtty-data.js';
import {
  UART_FCR,
  UART_FCR_CLEAR_RCVR,
  UART_FCR_CLEAR_XMIT,
  UART_FCR_ENABLE_FIFO,
  UART_IER,
  UART_IER_MSI,
  UART_IER_RDI,
  UART_IER_RLSI,
  UART_IER_THRI,
  UART_IIR,
  UART_IIR_MSI,
  UART_IIR_NO_INT,
  UART_IIR_RDI,
  UART_IIR_RLSI,
  UART_IIR_THRI,
  UART_LCR,
  UART_LCR_DLAB,
  UART_LSR,
  UART_LSR_DR,
  UART_LSR_OE,
  UART_LSR_TEMT,
  UART_LSR_THRE,
  UART_MCR,
  UART_MCR_AFE,
  UART_MCR_DTR,
  UART_MCR_RTS,
  UART_MSR,
  UART_MSR_CTS,
  UART_MSR_DCD,
  UART_MSR_DCTS,
  UART_MSR_DDSR,
  UART_MSR_DSR,
  UART_RX,
  UART_SCR,
  UART_TX,
} from '../uapi/serial-reg.js';

const REG = serial_port.offsetOf('uart_reg');
const FIFO = serial_port.offsetOf('fifo');
const HEAD = serial_port.offsetOf('head');
const TAIL = serial_port.offsetOf('tail');
const COUNT = serial_port.offsetOf('count');
const DLAB = serial_port.offsetOf('dlab');
const OVERRUN = serial_port.offsetOf('overrun');
const DIVISOR = serial_port.offsetOf('divisor');
const FCR = serial_port.offsetOf('fcr');
const MAX_FIFO = serial_port.offsetOf('max_fifo_size');
const TRIGGER = serial_port.offsetOf('intr_trigger_level');
/** `CIRCULAR_BUF_INC_IDX`: ring indexes wrap at MAX_FIFO_SIZE. */
const RING_MASK = MAX_FIFO_SIZE - 1;

/**
 * One emulated 16550 port of an mtty device: `struct serial_port` kept as its 36 C bytes ({@link bytes}),
 * so saving is a copy of them as in the sample, and the register semantics of `handle_bar_write` /
 * `handle_bar_read` on top. Whatever the guest writes to THR is looped back into the receive FIFO and
 * read from RBR.
 *
 * Kept from the sample as they are:
 * - the FIFO is a ring of 16 with `head == tail` meaning empty, so a 16th byte makes a full FIFO look
 *   empty (LSR.DR clear, RBR returns nothing) until FCR clears it;
 * - the trigger level always ends up 1 (the FCR handler overrides what it decoded);
 * - divisor latch writes OR into the divisor (LCR.DLAB resets it to 0);
 * - a read of an empty RBR, or of an offset past the eight registers, returns 0 (the sample leaves the
 *   caller's buffer as it was).
 *
 * The sample also raises INTx/MSI from these paths; the model has no interrupt delivery (see the README).
 *
 * Kernel counterpart: `struct serial_port`, `handle_bar_write()`, `handle_bar_read()` (samples/vfio-mdev/mtty.c).
 */
export class SerialPort {
  /** `struct serial_port`, byte for byte (zeroed as kzalloc left it). */
  readonly bytes = new Uint8Array(serial_port.size);

  /** `uart_reg[offset]` as last written (IER, LCR, MCR, SCR; the others are not stored). */
  reg(offset: number): number {
    return this.bytes[REG + offset]!;
  }

  /** `rxtx.count`: bytes in the loop-back FIFO. */
  get count(): number {
    return this.bytes[COUNT]!;
  }

  /** `rxtx.head`: where the next byte written lands. */
  get head(): number {
    return this.bytes[HEAD]!;
  }

  /** `rxtx.tail`: where the next byte read comes from. */
  get tail(): number {
    return this.bytes[TAIL]!;
  }

  /** `dlab`: the divisor latch is selected. */
  get dlab(): boolean {
    return this.bytes[DLAB] !== 0;
  }

  /** `overrun`: a byte was written to a full FIFO. */
  get overrun(): boolean {
    return this.bytes[OVERRUN] !== 0;
  }

  /** `divisor`: the baud-rate divisor. */
  get divisor(): number {
    return this.bytes[DIVISOR]! | (this.bytes[DIVISOR + 1]! << 8);
  }

  /** `fcr`: the last FIFO control value. */
  get fcr(): number {
    return this.bytes[FCR]!;
  }

  /** `max_fifo_size`: 16 with FIFOs enabled, 1 without. */
  get maxFifoSize(): number {
    return this.bytes[MAX_FIFO]!;
  }

  /** `intr_trigger_level`. */
  get intrTriggerLevel(): number {
    return this.bytes[TRIGGER]!;
  }

  /** The bytes in the FIFO, oldest first (`count` of them from `tail`). */
  fifo(): Uint8Array {
    const out = new Uint8Array(this.count);
    for (let i = 0; i < out.length; i++) out[i] = this.bytes[FIFO + ((this.tail + i) & RING_MASK)]!;
    return out;
  }

  /** The state at `mtty_init_dev()`: zeroed, `max_fifo_size` = 16. */
  init(): void {
    this.bytes.fill(0);
    this.bytes[MAX_FIFO] = MAX_FIFO_SIZE;
  }

  /** `handle_bar_write()`: the guest wrote `data` to register `offset`. */
  write(offset: number, data: number): void {
    const b = this.bytes;
    switch (offset) {
      case UART_TX:
        if (this.dlab) {
          this.setDivisor(this.divisor | data);
          return;
        }
        if (b[COUNT]! < b[MAX_FIFO]!) {
          b[FIFO + b[HEAD]!] = data;
          b[COUNT] = b[COUNT]! + 1;
          b[HEAD] = (b[HEAD]! + 1) & RING_MASK;
          b[OVERRUN] = 0;
        } else {
          b[OVERRUN] = 1;
        }
        return;
      case UART_IER:
        if (this.dlab) this.setDivisor(this.divisor | (data << 8));
        else b[REG + UART_IER] = data;
        return;
      case UART_FCR:
        b[FCR] = data;
        if ((data & (UART_FCR_CLEAR_RCVR | UART_FCR_CLEAR_XMIT)) !== 0) {
          b[COUNT] = 0;
          b[HEAD] = 0;
          b[TAIL] = 0;
        }
        // The sample decodes the trigger field, then sets the level to 1 whatever it decoded.
        b[TRIGGER] = 1;
        b[MAX_FIFO] = (data & UART_FCR_ENABLE_FIFO) !== 0 ? MAX_FIFO_SIZE : 1;
        return;
      case UART_LCR:
        if ((data & UART_LCR_DLAB) !== 0) {
          b[DLAB] = 1;
          this.setDivisor(0);
        } else {
          b[DLAB] = 0;
        }
        b[REG + UART_LCR] = data;
        return;
      case UART_MCR:
      case UART_SCR:
        b[REG + offset] = data;
        return;
      default:
        // LSR and MSR are read-only; offsets past the registers are ignored.
        return;
    }
  }

  /** `handle_bar_read()`: the value of register `offset` (reading RBR consumes a byte). */
  read(offset: number): number {
    const b = this.bytes;
    switch (offset) {
      case UART_RX: {
        if (this.dlab) return this.divisor & 0xff;
        if (b[HEAD] === b[TAIL]) return 0;
        const data = b[FIFO + b[TAIL]!]!;
        b[COUNT] = b[COUNT]! - 1;
        b[TAIL] = (b[TAIL]! + 1) & RING_MASK;
        return data;
      }
      case UART_IER:
        return this.dlab ? this.divisor >> 8 : b[REG + UART_IER]! & 0x0f;
      case UART_IIR:
        return this.iir();
      case UART_LCR:
      case UART_MCR:
      case UART_SCR:
        return b[REG + offset]!;
      case UART_LSR: {
        const empty = b[HEAD] === b[TAIL];
        return (empty ? UART_LSR_TEMT | UART_LSR_THRE : UART_LSR_DR) | (this.overrun ? UART_LSR_OE : 0);
      }
      case UART_MSR: {
        const room = (b[REG + UART_MCR]! & UART_MCR_AFE) === 0 || b[COUNT]! < b[MAX_FIFO]!;
        return UART_MSR_DSR | UART_MSR_DDSR | UART_MSR_DCD | (room ? UART_MSR_CTS | UART_MSR_DCTS : 0);
      }
      default:
        return 0;
    }
  }

  /** IIR: the pending interrupt causes by priority, bits 6–7 set (16550 FIFOs), NO_INT if none. */
  private iir(): number {
    const b = this.bytes;
    const ier = b[REG + UART_IER]!;
    let v = 0;
    if ((ier & UART_IER_RLSI) !== 0 && this.overrun) v |= UART_IIR_RLSI;
    if ((ier & UART_IER_RDI) !== 0 && b[COUNT]! >= b[TRIGGER]!) v |= UART_IIR_RDI;
    if ((ier & UART_IER_THRI) !== 0 && b[HEAD] === b[TAIL]) v |= UART_IIR_THRI;
    if ((ier & UART_IER_MSI) !== 0 && (b[REG + UART_MCR]! & (UART_MCR_RTS | UART_MCR_DTR)) !== 0) {
      v |= UART_IIR_MSI;
    }
    if (v === 0) v = UART_IIR_NO_INT;
    return v | 0xc0;
  }

  private setDivisor(value: number): void {
    this.bytes[DIVISOR] = value & 0xff;
    this.bytes[DIVISOR + 1] = (value >> 8) & 0xff;
  }
}
