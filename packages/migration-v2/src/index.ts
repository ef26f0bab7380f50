/**
 * @packageDocumentation
 * VFIO migration protocol v2 (v5.18+). Built so far: the state numbers, the feature flags and
 * `vfio_mig_get_next_state` — the FSM every v2 driver walks.
 */
export * from './fsm/index.js';
