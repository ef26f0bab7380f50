import { DEFAULT_IOMMU_FORMAT } from '@vfio-sim/vmm';
import { positionOf, type ScenarioSource } from '../parse/scenario-source.js';
import type { ScenarioDocument } from '../schema/scenario.js';
import { ACTION_NAMES } from '../schema/steps.js';
import { fieldPath, type ScenarioError } from '../validate/scenario-error.js';
import type { Action, DeviceRef, Plan, PlannedHost, PlannedStep, StepArgs } from './plan.js';
import { planExpectation } from './plan-expectation.js';
import { PlanError, PlanScope } from './plan-scope.js';
import { PLAN_STEPS } from './plan-steps.js';

/** RAM of a host's scenario VMM process (what `ioas-map` maps from) unless the host says otherwise. */
export const DEFAULT_SCENARIO_RAM = 1 << 20;

/**
 * Plan a validated scenario: hosts with their defaults, and each step with its arguments resolved, its
 * expectation, and its file position. References (devices, guests, IOAS/HWPT, buffers, data fds, hosts)
 * are checked against what earlier steps make; a problem is a {@link ScenarioError} at the step's field.
 */
export function planScenario(
  doc: ScenarioDocument,
  source: ScenarioSource,
): { plan: Plan; errors: [] } | { plan: undefined; errors: ScenarioError[] } {
  const hosts: PlannedHost[] = Object.entries(doc.hosts).map(([name, h]) => ({
    name,
    kind: (h.kind ?? 'zip') as PlannedHost['kind'],
    vfs: h.vfs ?? 2,
    iommu: (h.iommu ?? DEFAULT_IOMMU_FORMAT) as PlannedHost['iommu'],
    iommuDirtyTracking: h['iommu-dirty-tracking'] ?? true,
    opsStyle: h['ops-style'] ?? 'explicit',
    ram: h.ram ?? DEFAULT_SCENARIO_RAM,
    mtty: h.mtty === undefined ? undefined : { type: h.mtty.type ?? 'mtty-2', count: h.mtty.count },
  }));
  const scope = new PlanScope(hosts.map((h) => h.name));
  const errors: ScenarioError[] = [];
  const steps: PlannedStep[] = [];
  if (hosts.length === 0)
    errors.push({
      file: source.file,
      ...positionOf(source, ['hosts']),
      field: 'hosts',
      message: 'at least one host',
    });
  doc.steps.forEach((raw, index) => {
    const record = raw as Record<string, unknown>;
    const action = ACTION_NAMES.find((a) => a in record) as Action;
    const at = ['steps', index];
    try {
      const args = (PLAN_STEPS[action] as (s: PlanScope, a: unknown) => StepArgs[Action])(
        scope,
        record[action],
      );
      const expect = planExpectation(action, record.expect as Parameters<typeof planExpectation>[1]);
      steps.push({
        index,
        action,
        label: typeof record.label === 'string' ? record.label : action,
        args,
        expect,
        subject: subjectOf(args),
        ...positionOf(source, at),
      });
    } catch (e) {
      if (!(e instanceof PlanError)) throw e;
      const path = e.field[0] === 'expect' ? [...at, ...e.field] : [...at, action, ...e.field];
      errors.push({
        file: source.file,
        ...positionOf(source, path),
        field: fieldPath(path),
        message: e.message,
      });
    }
  });
  if (errors.length > 0) return { plan: undefined, errors };
  return {
    plan: {
      file: source.file,
      name: doc.name,
      description: doc.description,
      seed: doc.seed ?? 1,
      hosts,
      steps,
    },
    errors: [],
  };
}

/** The device a step acts on, if it has one. */
function subjectOf(args: StepArgs[Action]): DeviceRef | undefined {
  return 'device' in args ? (args.device as DeviceRef) : undefined;
}
