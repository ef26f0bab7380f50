/**
 * @packageDocumentation
 * VFIO migration protocol v2 (v5.18+): the states and `vfio_mig_get_next_state` (fsm/), the driver side
 * every v2 variant driver shares — the set-state loop and the migration data files (driver/), the
 * `vfio_precopy_info` uAPI (uapi/) — and a QEMU-shaped v2 client with its save/load sequences, stream
 * framing and recovery rules (client/).
 */
export * from './client/index.js';
export * from './driver/index.js';
export * from './fsm/index.js';
export * from './uapi/index.js';
