import { Prng } from '@vfio-sim/platform';
import type { GuestUart } from './guest-uart.js';

/** What a port's traffic looks like so far (see {@link MttyLoopbackWorkload.verify}). */
export interface MttyPortTally {
  /** Bytes the guest wrote. */
  readonly sent: number;
  /** Bytes it read back. */
  readonly received: number;
  /** Written and not read back yet (still in the device's FIFO). */
  readonly inFlight: number;
  /** Index of the first byte read back that differs from what was sent there (−1: none). */
  readonly firstMismatch: number;
}

/**
 * A guest workload on mtty ports: at each step it writes a few seeded-random bytes to a port and reads a
 * few back, so bytes are always sitting in the device's loop-back FIFOs — the state a migration must
 * carry. Every byte sent must be read back exactly once, in order: {@link verify} compares the two
 * streams per port. The streams live on the guest side (guest memory), so they survive a migration as
 * RAM does; re-point the ports with `GuestUart.attach` on the destination and keep stepping.
 */
export class MttyLoopbackWorkload {
  private readonly rng: Prng;
  private readonly sent: number[][];
  private readonly received: number[][];

  constructor(
    /** The guest's ports (already probed). */
    readonly ports: readonly GuestUart[],
    seed: number,
  ) {
    this.rng = new Prng(seed);
    this.sent = ports.map(() => []);
    this.received = ports.map(() => []);
  }

  /** One step on a random port: write 1–8 fresh bytes (as many as fit), then read 0–4 back. */
  step(): void {
    const p = this.rng.int(0, this.ports.length - 1);
    const port = this.ports[p]!;
    const bytes = this.rng.fill(new Uint8Array(this.rng.int(1, 8)));
    const n = port.write(bytes);
    for (let i = 0; i < n; i++) this.sent[p]!.push(bytes[i]!);
    for (const b of port.read(this.rng.int(0, 4))) this.received[p]!.push(b);
  }

  /** Run `n` steps. */
  run(n: number): void {
    for (let i = 0; i < n; i++) this.step();
  }

  /** Read every port until it has no data. */
  drain(): void {
    this.ports.forEach((port, p) => {
      for (const b of port.read()) this.received[p]!.push(b);
    });
  }

  /** Per port: bytes sent, read back, in flight, and where (if anywhere) the read-back stream differs. */
  verify(): MttyPortTally[] {
    return this.ports.map((_, p) => {
      const sent = this.sent[p]!;
      const received = this.received[p]!;
      let firstMismatch = received.length > sent.length ? sent.length : -1;
      for (let i = 0; i < Math.min(received.length, sent.length) && firstMismatch < 0; i++) {
        if (received[i] !== sent[i]) firstMismatch = i;
      }
      return {
        sent: sent.length,
        received: received.length,
        inFlight: sent.length - received.length,
        firstMismatch,
      };
    });
  }

  /** Bytes in flight on port `p` right now (at most `GUEST_UART_MAX_IN_FLIGHT`). */
  inFlight(p: number): number {
    return this.sent[p]!.length - this.received[p]!.length;
  }
}
