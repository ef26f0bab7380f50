import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  UART_FCR,
  UART_FCR_CLEAR_RCVR,
  UART_FCR_ENABLE_FIFO,
  UART_FCR_TRIGGER_8,
  UART_IER,
  UART_IER_RDI,
  UART_IER_RLSI,
  UART_IER_THRI,
  UART_IIR,
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
  UART_MSR,
  UART_MSR_CTS,
  UART_RX,
  UART_SCR,
  UART_TX,
} from '../uapi/serial-reg.js';
import { SerialPort } from './serial-port.js';

function port(): SerialPort {
  const p = new SerialPort();
  p.init();
  return p;
}

describe('SerialPort: handle_bar_write / handle_bar_read (mtty.c)', () => {
  it('loops THR back to RBR in order; LSR shows data ready, then empty (THRE|TEMT)', () => {
    const p = port();
    expect(p.read(UART_LSR)).toBe(UART_LSR_TEMT | UART_LSR_THRE);
    for (const b of [0x68, 0x69, 0x21]) p.write(UART_TX, b);
    expect(p.read(UART_LSR)).toBe(UART_LSR_DR);
    expect([p.read(UART_RX), p.read(UART_RX), p.read(UART_RX)]).toEqual([0x68, 0x69, 0x21]);
    expect(p.read(UART_LSR)).toBe(UART_LSR_TEMT | UART_LSR_THRE);
    expect(p.read(UART_RX)).toBe(0); // empty RBR: nothing consumed
    expect([p.count, p.head, p.tail]).toEqual([0, 3, 3]);
  });

  it('DLAB: DLL/DLM writes OR into the divisor (LCR.DLAB resets it), reads return it; LCR keeps the value', () => {
    const p = port();
    p.write(UART_LCR, UART_LCR_DLAB | 0x03);
    p.write(UART_TX, 0x0c);
    p.write(UART_IER, 0x01);
    expect(p.divisor).toBe(0x010c);
    p.write(UART_TX, 0x03); // ORs, does not replace (the sample's quirk)
    expect(p.divisor).toBe(0x010f);
    expect([p.read(UART_RX), p.read(UART_IER)]).toEqual([0x0f, 0x01]);
    expect(p.count).toBe(0); // nothing went to the FIFO
    p.write(UART_LCR, 0x03);
    expect(p.read(UART_LCR)).toBe(0x03);
    p.write(UART_LCR, UART_LCR_DLAB);
    expect(p.divisor).toBe(0);
  });

  it('FCR clears the FIFO, sets the FIFO size (16 or 1) and always leaves the trigger level at 1', () => {
    const p = port();
    p.write(UART_TX, 1);
    p.write(UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR | UART_FCR_TRIGGER_8);
    expect([p.count, p.head, p.tail, p.intrTriggerLevel, p.maxFifoSize, p.fcr]).toEqual([
      0, 0, 0, 1, 16, 0x83,
    ]);
    p.write(UART_FCR, 0);
    expect(p.maxFifoSize).toBe(1);
    p.write(UART_TX, 7);
    p.write(UART_TX, 8); // one-byte FIFO: overrun, the byte is lost
    expect(p.overrun).toBe(true);
    expect(p.read(UART_LSR)).toBe(UART_LSR_DR | UART_LSR_OE);
    expect(p.read(UART_RX)).toBe(7);
  });

  it('a 16th byte makes a full FIFO look empty (head == tail), as the sample; the 17th overruns', () => {
    const p = port();
    for (let i = 0; i < 15; i++) p.write(UART_TX, i);
    expect(p.read(UART_LSR) & UART_LSR_DR).toBe(UART_LSR_DR);
    p.write(UART_TX, 15);
    expect(p.count).toBe(16);
    expect(p.read(UART_LSR)).toBe(UART_LSR_TEMT | UART_LSR_THRE);
    expect(p.read(UART_RX)).toBe(0);
    p.write(UART_TX, 16);
    expect(p.overrun).toBe(true);
  });

  it('MSR: CTS always without auto flow control; with AFE only while the FIFO has room', () => {
    const p = port();
    expect(p.read(UART_MSR) & UART_MSR_CTS).toBe(UART_MSR_CTS);
    p.write(UART_MCR, UART_MCR_AFE);
    for (let i = 0; i < 16; i++) {
      expect(p.read(UART_MSR) & UART_MSR_CTS).toBe(UART_MSR_CTS);
      p.write(UART_TX, i);
    }
    expect(p.read(UART_MSR) & UART_MSR_CTS).toBe(0);
  });

  it('IIR reports the enabled causes by priority, NO_INT otherwise, bits 6-7 always set; IER reads 4 bits', () => {
    const p = port();
    expect(p.read(UART_IIR)).toBe(0xc0 | UART_IIR_NO_INT);
    p.write(UART_IER, 0xf0 | UART_IER_THRI);
    expect(p.read(UART_IER)).toBe(UART_IER_THRI);
    expect(p.read(UART_IIR)).toBe(0xc0 | UART_IIR_THRI);
    p.write(UART_IER, UART_IER_RDI | UART_IER_RLSI);
    p.write(UART_TX, 9);
    expect(p.read(UART_IIR)).toBe(0xc0 | UART_IIR_RDI);
    p.write(UART_FCR, 0);
    p.write(UART_TX, 1);
    p.write(UART_TX, 2);
    expect(p.read(UART_IIR)).toBe(0xc0 | UART_IIR_RLSI | UART_IIR_RDI);
  });

  it('SCR stores; LSR and MSR ignore writes; offsets past the registers are ignored and read 0', () => {
    const p = port();
    p.write(UART_SCR, 0x5a);
    p.write(UART_LSR, 0xff);
    p.write(UART_MSR, 0xff);
    p.write(9, 0xff);
    expect([p.read(UART_SCR), p.read(9)]).toEqual([0x5a, 0]);
    expect(p.read(UART_LSR)).toBe(UART_LSR_TEMT | UART_LSR_THRE);
  });

  test.prop([fc.array(fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constant(-1)), { maxLength: 200 })])(
    'the FIFO is a queue: any mix of writes (≤ 15 in flight) and reads returns the bytes in order, fifo() shows the rest',
    (ops) => {
      const p = port();
      const queue: number[] = [];
      for (const op of ops) {
        if (op < 0) {
          const want = queue.length > 0 ? queue.shift()! : 0;
          expect(p.read(UART_RX)).toBe(want);
        } else if (queue.length < 15) {
          p.write(UART_TX, op);
          queue.push(op);
        }
        expect([...p.fifo()]).toEqual(queue);
        expect(p.count).toBe(queue.length);
      }
    },
  );
});
