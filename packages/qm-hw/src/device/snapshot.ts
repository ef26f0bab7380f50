import type { QmQueueState } from './qm-queue.js';

/** What a function snapshot holds (see {@link QmFunction.snapshot}). */
export interface QmFunctionSnapshot {
  /** Differs between any two functions: who it is and where its queues sit. */
  identity: {
    fun: number;
    pci: { vendorId: number; deviceId: number; revision: number; isVirtfn: boolean; vfIndex?: number };
    /** Absolute first queue (VFT base) or null without a valid VFT. */
    qpBase: number | null;
    sqcVft: [number, number];
    cqcVft: [number, number];
  };
  /** Legitimately differs after a migration: command history, pause, pending interrupt sources, faults. */
  transient: {
    mailbox: number[];
    paused: boolean;
    inFlight: number;
    /** Queues whose contexts are on chip (a destination has none until its start doorbells). */
    onChipQueues: number[];
    cacheWbDone: number;
    aeqIntSource: number;
    eqIntSource: number;
    faults: object[];
  };
  /** What a migration must carry over unchanged. */
  state: {
    kind: string;
    version: number;
    deviceId: number;
    qpNum: number;
    regs: {
      aeqIntMask: number;
      eqIntMask: number;
      ifcIntSource: number;
      ifcIntMask: number;
      ifcIntSet: number;
      queIsoCfg: number;
      pageSize: number;
      vfState: number;
    };
    eqc: number[];
    aeqc: number[];
    sqcBt: string;
    cqcBt: string;
    queues: QmQueueState[];
  };
}
