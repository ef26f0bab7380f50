export type { QmEngineBackend } from './engine-backend.js';
export {
  EMPTY_BYTES,
  modPow,
  type QmJobInput,
  type QmJobResult,
  runEngineJob,
  runEngineJobOn,
} from './engines.js';
export { type QmFault, type QmFaultKind, QmFaults } from './faults.js';
export { DEFAULT_QM_LATENCIES, jobLatencyUs, type QmLatencies } from './latencies.js';
export { platformEngineBackend } from './platform-engine-backend.js';
export { QmBar2, QmBar4 } from './qm-bars.js';
export { QmDevice, type QmDeviceOptions } from './qm-device.js';
export { qmRingDoorbell } from './qm-doorbell.js';
export { QM_MAX_JOB_BYTES, QmEngine } from './qm-engine.js';
export { QmEventQueue } from './qm-event-queue.js';
export { QmFunction, type QmInterruptHandler, type QmPciIdentity } from './qm-function.js';
export type { QmFunctionHost } from './qm-function-host.js';
export { QmIfc } from './qm-ifc.js';
export {
  QM_MB_STATUS_ABORTED,
  QM_MB_STATUS_BAD_CMD,
  QM_MB_STATUS_BAD_QUEUE,
  QM_MB_STATUS_BAD_WIDTH,
  QM_MB_STATUS_DMA_FAULT,
  QM_MB_STATUS_OK,
  QmMailbox,
} from './qm-mailbox.js';
export { QmQueue, type QmQueueState } from './qm-queue.js';
export { QM_MAX_FUNCTIONS, type QmQueueRange, QmVftTable } from './qm-vft.js';
export type { QmFunctionSnapshot } from './snapshot.js';
export {
  QM_STATE_HEADER_WORDS,
  QM_STATE_QUEUE_HAS_CQC,
  QM_STATE_QUEUE_HAS_SQC,
  QM_STATE_QUEUE_STOPPED,
  QM_STATE_QUEUE_WORDS,
  QmStateWords,
} from './state-words.js';
