import { MAX_FIFO_SIZE } from '../uapi/mtty-data.js';
import {
  UART_FCR,
  UART_FCR_CLEAR_RCVR,
  UART_FCR_CLEAR_XMIT,
  UART_FCR_ENABLE_FIFO,
  UART_IER,
  UART_LCR,
  UART_LCR_DLAB,
  UART_LCR_WLEN8,
  UART_LSR,
  UART_LSR_DR,
  UART_MCR,
  UART_MCR_AFE,
  UART_MCR_DTR,
  UART_MCR_RTS,
  UART_MSR,
  UART_MSR_CTS,
  UART_RX,
  UART_TX,
} from '../uapi/serial-reg.js';
import type { UartIo } from './uart-io.js';

/** Divisor for 115200 baud from the 1.8432 MHz UART clock. */
export const UART_DIVISOR_115200 = 1;

/**
 * Bytes the guest keeps in flight in one port at most: one less than the FIFO, because the sample's ring
 * cannot tell 16 bytes from none (`head == tail` either way).
 */
export const GUEST_UART_MAX_IN_FLIGHT = MAX_FIFO_SIZE - 1;

/**
 * A guest's driver for one mtty port, polled (no interrupts), much reduced from Linux's 8250 driver:
 * `probe` programs 8N1 at 115200, enables and clears the FIFO and turns on auto flow control (so MSR.CTS
 * tells whether the FIFO has room); `write` puts bytes into THR while CTS says there is room and fewer
 * than {@link GUEST_UART_MAX_IN_FLIGHT} are in flight; `read` takes bytes from RBR while LSR.DR is set.
 * What it wrote comes back on `read` (the sample loops TX back to RX).
 *
 * Its state (`inFlight`) lives in guest memory: after a migration the VMM points the same driver at the
 * destination's port with {@link attach} and it carries on.
 *
 * Kernel counterpart: drivers/tty/serial/8250 (`serial8250_do_startup`, `serial8250_tx_chars`,
 * `serial8250_rx_chars`), polled.
 */
export class GuestUart {
  /** Bytes written and not read back yet (the guest's own count). */
  inFlight = 0;

  constructor(private io: UartIo) {}

  /** Reach the port through `io` from now on (the VMM moved the device). */
  attach(io: UartIo): void {
    this.io = io;
  }

  /** Program the port: divisor, 8N1, FIFO on and cleared, DTR/RTS with auto flow control, no interrupts. */
  probe(divisor = UART_DIVISOR_115200): void {
    const io = this.io;
    io.outb(UART_LCR, UART_LCR_DLAB);
    io.outb(UART_TX, divisor & 0xff); // DLL
    io.outb(UART_IER, (divisor >> 8) & 0xff); // DLM
    io.outb(UART_LCR, UART_LCR_WLEN8);
    io.outb(UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR | UART_FCR_CLEAR_XMIT);
    io.outb(UART_MCR, UART_MCR_DTR | UART_MCR_RTS | UART_MCR_AFE);
    io.outb(UART_IER, 0);
    this.inFlight = 0;
  }

  /** Write as many of `bytes` as fit; returns how many were written (in order, from the start). */
  write(bytes: Uint8Array): number {
    let n = 0;
    while (n < bytes.length && this.inFlight < GUEST_UART_MAX_IN_FLIGHT) {
      if ((this.io.inb(UART_MSR) & UART_MSR_CTS) === 0) break;
      this.io.outb(UART_TX, bytes[n]!);
      this.inFlight++;
      n++;
    }
    return n;
  }

  /** Read up to `max` bytes while the port has data (LSR.DR). */
  read(max = Number.POSITIVE_INFINITY): Uint8Array {
    const out: number[] = [];
    while (out.length < max && (this.io.inb(UART_LSR) & UART_LSR_DR) !== 0) {
      out.push(this.io.inb(UART_RX));
      this.inFlight--;
    }
    return Uint8Array.from(out);
  }
}
