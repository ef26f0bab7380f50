/**
 * The invariants every case is judged by:
 *
 * - `no-silent-loss` — each job verified exactly once or its loss attributed to a cause: the verdict is
 *   not `silent`, nothing is unattributed;
 * - `ram-identical` — guest RAM identical page by page at the switch-over;
 * - `verdict-proven` — what the verdict claims, the report proves (vmm's `verdictProblems`: a pass has
 *   every job verified and the guest on the destination, an abort leaves it served at the source, …);
 * - `kernel-error` — every failure is a KernelError with an errno (anything else thrown is a model bug);
 * - `state-after-failure` — a failed request leaves the device as it was, or in the documented ERROR
 *   state;
 * - `multiple-devices-blocker` — QEMU refuses a v2 migration of several devices unless all have P2P
 *   (EOPNOTSUPP before anything is touched);
 * - `deterministic` — the same case twice gives a byte-identical trace and the same judgment (a uAPI
 *   case also the same judgment on hosts kept from a previous case as on new ones);
 * - `setup` — what the case sets up (boot, workload, time, opening a device) succeeds.
 */
export type InvariantName =
  | 'no-silent-loss'
  | 'ram-identical'
  | 'verdict-proven'
  | 'kernel-error'
  | 'state-after-failure'
  | 'multiple-devices-blocker'
  | 'deterministic'
  | 'setup';

/** Every invariant, in the order a case is judged. */
export const INVARIANTS: readonly InvariantName[] = [
  'setup',
  'kernel-error',
  'state-after-failure',
  'multiple-devices-blocker',
  'no-silent-loss',
  'ram-identical',
  'verdict-proven',
  'deterministic',
];

/** One broken invariant: which, at which step of the case (−1: the case as a whole), and why. */
export interface Violation {
  readonly invariant: InvariantName;
  readonly step: number;
  readonly detail: string;
}
