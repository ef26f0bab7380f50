import { KernelError, Tracer, type TraceSink, withoutKernelErrorStacks } from '@vfio-sim/platform';
import type { Action, Plan, PlannedStep, StepArgs } from '../plan/plan.js';
import type { Got, Observation, StepRunner } from './observation.js';
import { snapshot, snapshotDiff } from './snapshot.js';
import { DEVICE_STEPS } from './steps/device-steps.js';
import { IOMMU_STEPS } from './steps/iommu-steps.js';
import { V1_STEPS, v1DeviceState } from './steps/v1-steps.js';
import { V2_STEPS } from './steps/v2-steps.js';
import { VM_STEPS } from './steps/vm-steps.js';
import { type ObservedMigration, type ScenarioHosts, ScenarioWorld } from './world.js';

/** Every action's runner. */
const RUNNERS: { readonly [A in Action]: StepRunner<A> } = {
  ...DEVICE_STEPS,
  ...V2_STEPS,
  ...V1_STEPS,
  ...IOMMU_STEPS,
  ...VM_STEPS,
};

/**
 * Runs a planned scenario step by step against the model: builds the hosts (one {@link ScenarioWorld}),
 * then for each step calls the kernel's interfaces (system calls on a process's fds) or the VMM's, and
 * observes what happened — the errno, the values the step produced, and what the expectation asks to be
 * read after it (the device's v2 / v1 state) or compared around it (`unchanged`: a snapshot before and
 * after). It judges nothing: {@link compareStep} does.
 *
 * A step whose call fails with a KernelError is observed with that errno (made without a stack trace:
 * `withoutKernelErrorStacks`); any other exception is a bug in the model and propagates with its stack.
 */
export class ScenarioExecutor {
  readonly world: ScenarioWorld;
  private readonly tracer: Tracer;

  /**
   * @param options.traceSink where the model's trace events go; `onMigrate` is told of every migration
   *   a `migrate` step runs (vmm's whole report, the guest and the hosts), e.g. to judge more than the
   *   step's expectation does; `hosts` a released world's simulation and hosts to run on
   *   ({@link ScenarioWorld.release}); `world` a world another executor ran (rewound:
   *   {@link ScenarioWorld.rewind}) to go on in, its devices still open — the plan's hosts, no trace.
   * @throws KernelError EINVAL for a world or hosts that are not the plan's, or with a trace sink
   */
  constructor(
    plan: Pick<Plan, 'seed' | 'hosts' | 'name'>,
    options: {
      readonly traceSink?: TraceSink;
      readonly onMigrate?: (m: ObservedMigration) => void;
      readonly hosts?: ScenarioHosts;
      readonly world?: ScenarioWorld;
    } = {},
  ) {
    const { world } = options;
    if (world !== undefined) {
      if (
        options.traceSink !== undefined ||
        options.hosts !== undefined ||
        plan.hosts.length !== world.hosts.size ||
        plan.hosts.some((h) => !world.hosts.has(h.name))
      )
        throw new KernelError(
          'EINVAL',
          `a world of hosts ${[...world.hosts.keys()].join(', ')} is not the plan's (${plan.hosts.map((h) => h.name).join(', ')}), or it came with hosts or a trace`,
        );
    }
    this.world = world ?? new ScenarioWorld(plan.seed, plan.hosts, options.traceSink, options.hosts);
    this.world.migrationObserver = options.onMigrate;
    this.tracer =
      options.traceSink !== undefined
        ? Tracer.create(this.world.sim.clock, options.traceSink, 'scenario', plan.name)
        : Tracer.disabled(this.world.sim.clock);
  }

  /** Run one step and observe it. */
  run(step: PlannedStep): Observation {
    const fields = step.expect;
    let before: Record<string, unknown> | undefined;
    if (fields.unchanged === true) {
      // the step's own device belongs in the snapshot even if this is the first step to reach it
      if (step.subject !== undefined) this.read(() => (this.world.device(step.subject!), 0));
      before = snapshot(this.world);
    }
    const got: Got = {};
    const start = this.tracer.now();
    let errno: Observation['errno'] = 'ok';
    let message: string | undefined;
    try {
      // a refusal is observed as its errno and message, never its stack: none is captured
      withoutKernelErrorStacks(() =>
        (RUNNERS[step.action] as StepRunner<Action>)(this.world, step.args as StepArgs[Action], got),
      );
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
      errno = e.errno;
      message = e.message;
    }
    if (this.tracer.enabled) this.tracer.slice('scenario', step.label, start, { line: step.line, errno });
    if (step.subject !== undefined) {
      if (fields.state !== undefined)
        got.state = this.read(() => this.world.device(step.subject!).handle.getMigState());
      if (fields.v1State !== undefined)
        got.v1State = this.read(() => v1DeviceState(this.world.device(step.subject!)));
    }
    if (before !== undefined) got.unchanged = snapshotDiff(before, snapshot(this.world)) ?? true;
    return { errno, message, got };
  }

  /** A read after the step: its value, or the errno it failed with (as a string). */
  private read(fn: () => number): number | string {
    try {
      return fn();
    } catch (e) {
      if (e instanceof KernelError) return e.errno;
      throw e;
    }
  }
}
