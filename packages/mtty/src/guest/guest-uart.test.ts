import { describe, expect, it } from 'vitest';
import { guestUarts, mttyBed } from '../__fixtures__/mtty-host.js';
import {
  UART_FCR,
  UART_FCR_CLEAR_RCVR,
  UART_FCR_ENABLE_FIFO,
  UART_LCR_WLEN8,
  UART_MCR_AFE,
} from '../uapi/serial-reg.js';
import { GUEST_UART_MAX_IN_FLIGHT, GuestUart } from './guest-uart.js';
import { MttyLoopbackWorkload } from './loopback-workload.js';
import { VfioRegionUartIo } from './uart-io.js';

describe('GuestUart (a polled 8250 driver over the device fd)', () => {
  it('probe programs 8N1, divisor 1, FIFO on and empty, auto flow control, no interrupts', () => {
    const bed = mttyBed();
    const port = bed.mdevState.s[0];
    port.write(0, 0x55); // a stale byte in the FIFO: probe clears it
    new GuestUart(VfioRegionUartIo.of(bed.handle, 0)).probe();
    expect([port.reg(3), port.divisor, port.dlab, port.maxFifoSize, port.count]).toEqual([
      UART_LCR_WLEN8,
      1,
      false,
      16,
      0,
    ]);
    expect(port.reg(4) & UART_MCR_AFE).toBe(UART_MCR_AFE);
    expect(port.reg(1)).toBe(0);
  });

  it('keeps at most 15 bytes in flight (the sample cannot tell 16 from none); reads them back in order', () => {
    const bed = mttyBed();
    const [uart] = guestUarts(bed);
    const bytes = Uint8Array.from({ length: 20 }, (_, i) => 0x30 + i);
    expect(uart!.write(bytes)).toBe(GUEST_UART_MAX_IN_FLIGHT);
    expect(uart!.inFlight).toBe(15);
    expect([...uart!.read(4)]).toEqual([...bytes.subarray(0, 4)]);
    expect(uart!.write(bytes.subarray(15))).toBe(4);
    expect([...uart!.read()]).toEqual([...bytes.subarray(4, 19)]);
    expect(uart!.inFlight).toBe(0);
  });
});

describe('MttyLoopbackWorkload', () => {
  it('is deterministic for a seed, and verify() sees every byte once when nothing is lost', () => {
    const run = (seed: number) => {
      const work = new MttyLoopbackWorkload(guestUarts(mttyBed()), seed);
      work.run(30);
      work.drain();
      return work.verify();
    };
    const a = run(5);
    expect(run(5)).toEqual(a);
    for (const t of a) expect(t).toEqual({ sent: t.sent, received: t.sent, inFlight: 0, firstMismatch: -1 });
  });

  it('verify() reports bytes the device lost (a FIFO cleared behind the guest) and a stream that diverges', () => {
    const bed = mttyBed();
    const uarts = guestUarts(bed);
    const work = new MttyLoopbackWorkload(uarts, 9);
    work.run(20);
    const lost = work.inFlight(0);
    expect(lost).toBeGreaterThan(0);
    bed.mdevState.s[0].write(UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR);
    uarts[0]!.inFlight = 0;
    work.run(20);
    work.drain();
    const [t0] = work.verify();
    expect(t0!.inFlight).toBe(lost);
    expect(t0!.firstMismatch).toBeGreaterThanOrEqual(0);
  });
});
