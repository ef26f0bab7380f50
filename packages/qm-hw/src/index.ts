/**
 * @packageDocumentation
 * The HiSilicon QM: kernel register/command constants and encoders (`regs/`), the hardware model
 * (`device/`) and the hisi_qm driver library (`driver/`).
 */

export * from './device/index.js';
export * from './driver/index.js';
export * from './regs/index.js';
