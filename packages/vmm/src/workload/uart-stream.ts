import type { MttyLoopbackWorkload } from '@vfio-sim/mtty';
import { KernelError } from '@vfio-sim/platform';
import type { Vm } from '../vm/vm.js';

/** Options of {@link startUartStream}. */
export interface UartStreamOptions {
  readonly vm: Vm;
  readonly workload: MttyLoopbackWorkload;
  /** Virtual time between steps (µs, ≥ 1). */
  readonly periodUs: number;
  /** Steps at most. */
  readonly limit: number;
}

/** A running {@link startUartStream}. */
export interface UartStream {
  /** Steps taken so far. */
  readonly steps: number;
}

/**
 * A guest application talking to its serial ports: every `periodUs` of virtual time, while the vCPUs
 * run, one step of the loop-back workload (a few bytes written to a port, a few read back), so bytes
 * always sit in the device's FIFOs. It ends for good at the first tick after the vCPUs stopped, or
 * after `limit` steps, so the clock goes idle.
 *
 * Kernel counterpart: a guest process writing to and reading from /dev/ttyS*.
 * @throws KernelError EINVAL for a period below 1 µs or a negative limit.
 */
export function startUartStream(options: UartStreamOptions): UartStream {
  const { vm, workload, periodUs, limit } = options;
  if (!(Number.isInteger(periodUs) && periodUs >= 1) || !(Number.isInteger(limit) && limit >= 0))
    throw new KernelError('EINVAL', `UART stream period ${periodUs} µs, limit ${limit}`);
  const state = { steps: 0 };
  const tick = (): void => {
    if (!vm.isRunning || state.steps >= limit) return;
    workload.step();
    state.steps++;
    if (state.steps < limit) vm.clock.after(periodUs, tick);
  };
  if (limit > 0) vm.clock.after(periodUs, tick);
  return state;
}
