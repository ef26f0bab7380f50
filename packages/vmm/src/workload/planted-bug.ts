/**
 * A bug planted on purpose, to test a bug hunter (`@vfio-sim/campaign` must find it, shrink it and
 * write a scenario that reproduces it). Off unless a test turns it on; while off, nothing behaves
 * differently.
 *
 * - `drop-destination-completion`: a {@link Workload} ignores the first completion its guest driver
 *   reports on a migration's destination — the job is lost with no cause (`verdict: 'silent'`).
 *
 * Kernel/VMM counterpart: none — test scaffolding in the shipped code, like the kernel's fault
 * injection (`CONFIG_FAULT_INJECTION`) but for the model's own proof.
 */
export type PlantedBug = 'drop-destination-completion';

/** The planted bugs, for a command line to check a name against. */
export const PLANTED_BUGS: readonly PlantedBug[] = ['drop-destination-completion'];

let planted: PlantedBug | undefined;

/** Turn a planted bug on (for this thread: each worker thread sets its own), or off with `undefined`. */
export function plantBug(bug: PlantedBug | undefined): void {
  planted = bug;
}

/** The planted bug that is on, if any. */
export function plantedBug(): PlantedBug | undefined {
  return planted;
}
