/**
 * How long the hardware takes, in virtual microseconds. Every asynchronous effect of the model is an
 * event on the `VirtualClock` this far in the future.
 *
 * Kernel counterpart: none — the timing the drivers' poll loops (10 µs period / 1000 µs timeout) wait for.
 */
export interface QmLatencies {
  /** Mailbox command: busy bit 13 set → cleared. */
  readonly mailboxUs: number;
  /** VFT operation: QM_VFT_CFG_OP_ENABLE → QM_VFT_CFG_RDY. */
  readonly vftUs: number;
  /** QM_CACHE_WB_START → QM_CACHE_WB_DONE. */
  readonly cacheWbUs: number;
  /** QM_MEM_START_INIT → QM_MEM_INIT_DONE. */
  readonly memInitUs: number;
  /** MSI delivery: event → interrupt handler. */
  readonly irqUs: number;
  /** Fixed cost of one job (SQE fetch → CQE written). */
  readonly jobBaseUs: number;
  /** Additional cost per KiB of job input. */
  readonly jobPerKiBUs: number;
}

/** The defaults: all far inside the drivers' 1000 µs poll timeouts. */
export const DEFAULT_QM_LATENCIES: QmLatencies = {
  mailboxUs: 5,
  vftUs: 2,
  cacheWbUs: 20,
  memInitUs: 10,
  irqUs: 1,
  jobBaseUs: 5,
  jobPerKiBUs: 1,
};

/** Virtual duration of a job with `bytes` of input. */
export function jobLatencyUs(l: QmLatencies, bytes: number): number {
  return l.jobBaseUs + Math.ceil(bytes / 1024) * l.jobPerKiBUs;
}
