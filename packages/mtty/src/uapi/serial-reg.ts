/**
 * The 16550 UART register map and bits the mtty sample emulates (include/uapi/linux/serial_reg.h), one
 * byte register per offset of an 8-byte I/O BAR. Offsets 0 and 1 change meaning while LCR.DLAB is set
 * (divisor latch low/high).
 */

/** Receive buffer (read) / divisor latch low while DLAB. */
export const UART_RX = 0;
/** Transmit holding register (write) / divisor latch low while DLAB. */
export const UART_TX = 0;
/** Interrupt enable / divisor latch high while DLAB. */
export const UART_IER = 1;
/** Interrupt identification (read). */
export const UART_IIR = 2;
/** FIFO control (write). */
export const UART_FCR = 2;
/** Line control. */
export const UART_LCR = 3;
/** Modem control. */
export const UART_MCR = 4;
/** Line status (read-only). */
export const UART_LSR = 5;
/** Modem status (read-only). */
export const UART_MSR = 6;
/** Scratch register. */
export const UART_SCR = 7;

/** IER: enable the receiver-data interrupt. */
export const UART_IER_RDI = 0x01;
/** IER: enable the transmitter-holding-register-empty interrupt. */
export const UART_IER_THRI = 0x02;
/** IER: enable the receiver-line-status interrupt. */
export const UART_IER_RLSI = 0x04;
/** IER: enable the modem-status interrupt. */
export const UART_IER_MSI = 0x08;

/** IIR: no interrupt pending. */
export const UART_IIR_NO_INT = 0x01;
/** IIR: modem status. */
export const UART_IIR_MSI = 0x00;
/** IIR: transmitter holding register empty. */
export const UART_IIR_THRI = 0x02;
/** IIR: receiver data available. */
export const UART_IIR_RDI = 0x04;
/** IIR: receiver line status. */
export const UART_IIR_RLSI = 0x06;

/** FCR: enable the FIFOs. */
export const UART_FCR_ENABLE_FIFO = 0x01;
/** FCR: clear the receive FIFO. */
export const UART_FCR_CLEAR_RCVR = 0x02;
/** FCR: clear the transmit FIFO. */
export const UART_FCR_CLEAR_XMIT = 0x04;
/** FCR: the receive trigger level field. */
export const UART_FCR_TRIGGER_MASK = 0xc0;
/** `UART_FCR_TRIGGER_1` (include/uapi/linux/serial_reg.h): FCR bits 7:6 = 00, receive interrupt at 1 byte. */
export const UART_FCR_TRIGGER_1 = 0x00;
/** `UART_FCR_TRIGGER_4` (include/uapi/linux/serial_reg.h): FCR bits 7:6 = 01, receive interrupt at 4 bytes. */
export const UART_FCR_TRIGGER_4 = 0x40;
/** `UART_FCR_TRIGGER_8` (include/uapi/linux/serial_reg.h): FCR bits 7:6 = 10, receive interrupt at 8 bytes. */
export const UART_FCR_TRIGGER_8 = 0x80;
/** `UART_FCR_TRIGGER_14` (include/uapi/linux/serial_reg.h): FCR bits 7:6 = 11, receive interrupt at 14 bytes. */
export const UART_FCR_TRIGGER_14 = 0xc0;

/** LCR: divisor latch access bit. */
export const UART_LCR_DLAB = 0x80;
/** LCR: 8 data bits. */
export const UART_LCR_WLEN8 = 0x03;

/** MCR: data terminal ready. */
export const UART_MCR_DTR = 0x01;
/** MCR: request to send. */
export const UART_MCR_RTS = 0x02;
/** MCR: OUT2 (the PC's interrupt gate). */
export const UART_MCR_OUT2 = 0x08;
/** MCR: automatic flow control (auto-RTS/CTS). */
export const UART_MCR_AFE = 0x20;

/** LSR: receiver data ready. */
export const UART_LSR_DR = 0x01;
/** LSR: overrun error. */
export const UART_LSR_OE = 0x02;
/** LSR: transmitter holding register empty. */
export const UART_LSR_THRE = 0x20;
/** LSR: transmitter empty. */
export const UART_LSR_TEMT = 0x40;

/** MSR: delta clear to send. */
export const UART_MSR_DCTS = 0x01;
/** MSR: delta data set ready. */
export const UART_MSR_DDSR = 0x02;
/** MSR: clear to send. */
export const UART_MSR_CTS = 0x10;
/** MSR: data set ready. */
export const UART_MSR_DSR = 0x20;
/** MSR: data carrier detect. */
export const UART_MSR_DCD = 0x80;
