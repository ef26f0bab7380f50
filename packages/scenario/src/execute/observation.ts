import type { ErrnoName } from '@vfio-sim/platform';
import type { Action, ExpectField, StepArgs } from '../plan/plan.js';
import type { ScenarioWorld } from './world.js';

/** What a step did, as the executor saw it: how it ended and every value it can be checked on. */
export interface Observation {
  /** `ok`, or the errno of the KernelError the step's call failed with. */
  readonly errno: 'ok' | ErrnoName;
  /** The error's message (undefined when ok). */
  readonly message: string | undefined;
  /** The values observed, by expectation field (only those the step produces or was asked for). */
  readonly got: Readonly<Partial<Record<ExpectField, unknown>>>;
}

/** The values a step records as it goes (kept even when a later call of the step fails). */
export type Got = Partial<Record<ExpectField, unknown>>;

/** How one action runs: on the world, with its planned arguments, recording what it saw in `got`. */
export type StepRunner<A extends Action> = (world: ScenarioWorld, args: StepArgs[A], got: Got) => void;

/** One runner per action (of a group of actions). */
export type StepRunners<A extends Action> = { readonly [K in A]: StepRunner<K> };
