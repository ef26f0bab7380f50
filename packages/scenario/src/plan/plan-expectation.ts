import type { z } from 'zod';
import type { expectation as expectationSchema } from '../schema/expectation.js';
import { MIGRATION_FLAGS, REGION_FLAGS, V1_STATE_NAMES, V2_STATE_NAMES } from '../schema/values.js';
import type { Action, Expectation, ExpectedJobs, ExpectField } from './plan.js';
import { PlanError } from './plan-scope.js';
import { bitsOfRuns, bytesOfHex } from './plan-values.js';

type ExpectationInput = z.infer<typeof expectationSchema>;

/** After-step fields every step on a device can check. */
const DEVICE: readonly ExpectField[] = ['state', 'v1State', 'unchanged'];

/** What each action can observe (besides `errno` and `message`, which every step has). */
export const OBSERVABLE: Readonly<Record<Action, readonly ExpectField[]>> = {
  open: ['state', 'v1State'],
  close: [],
  'region-info': ['size', 'flags', ...DEVICE],
  pread: ['bytes', 'value', 'data', ...DEVICE],
  pwrite: ['bytes', ...DEVICE],
  mmap: DEVICE,
  mmio: ['value'],
  reset: DEVICE,
  feature: ['payload', 'flags', 'dataFd', 'stopCopyLength', ...DEVICE],
  'set-state': ['dataFd', ...DEVICE],
  'get-state': DEVICE,
  'mig-data-size': ['stopCopyLength', ...DEVICE],
  'read-data': ['bytes', 'data', ...DEVICE],
  'write-data': ['bytes', ...DEVICE],
  'close-data': DEVICE,
  'precopy-info': ['initialBytes', 'dirtyBytes', ...DEVICE],
  'v1-set-state': DEVICE,
  'v1-save': ['bytes', 'data', ...DEVICE],
  'v1-load': ['bytes', ...DEVICE],
  'dma-logging-start': ['pageSize', ...DEVICE],
  'dma-logging-stop': DEVICE,
  'dma-logging-report': ['bitmap', ...DEVICE],
  'hw-info': ['dirtyTracking'],
  'ioas-alloc': [],
  'ioas-map': ['iova', 'unchanged'],
  'ioas-unmap': ['bytes', 'unchanged'],
  'hwpt-alloc': DEVICE,
  attach: DEVICE,
  detach: DEVICE,
  'set-dirty-tracking': ['unchanged'],
  'get-dirty-bitmap': ['bitmap', 'unchanged'],
  'dma-write': DEVICE,
  'inject-fault': [],
  'clear-fault': [],
  boot: ['guestOn', 'jobs'],
  workload: ['jobs'],
  submit: ['jobs'],
  run: [],
  'stop-vcpus': [],
  'start-vcpus': [],
  migrate: [
    'result',
    'outcome',
    'verdict',
    'error',
    'guestOn',
    'jobs',
    'ramIdentical',
    'sourceStates',
    'destinationStates',
    'faultsInjected',
    'bytes',
  ],
  tally: ['jobs', 'guestOn'],
  'write-ram': [],
};

/** The kebab-case key of a field, as the scenario spells it. */
export function kebab(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * Turn `expect:` into an {@link Expectation} for `action`: names resolved to numbers, runs to bits, hex to
 * bytes, and every field checked to be one the action can observe.
 * @throws PlanError for a field the action cannot observe, or a flag name of the wrong kind.
 */
export function planExpectation(action: Action, input: ExpectationInput | undefined): Expectation {
  if (input === undefined) return { errno: 'ok' };
  if (typeof input === 'string') return { errno: input as Expectation['errno'] };
  const out: Record<string, unknown> = { errno: input.errno ?? 'ok' };
  const observable = OBSERVABLE[action];
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined || key === 'errno' || key === 'message') {
      if (key === 'message') out.message = value;
      continue;
    }
    const field = key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) as ExpectField;
    if (!observable.includes(field))
      throw new PlanError(
        `${action} cannot check "${key}"${observable.length > 0 ? ` (it can check ${observable.map(kebab).join(', ')})` : ''}`,
        ['expect', key],
      );
    out[field] = planField(action, field, value);
  }
  return out as unknown as Expectation;
}

function planField(action: Action, field: ExpectField, value: unknown): unknown {
  switch (field) {
    case 'state':
      return stateNumber(value, V2_STATE_NAMES);
    case 'v1State':
      return stateNumber(value, V1_STATE_NAMES, [0, 1, 2, 3, 4, 6]);
    case 'data':
    case 'payload':
      return bytesOfHex(value as string);
    case 'bitmap':
      return bitsOfRuns(value as readonly (number | string)[]);
    case 'flags':
      return flagsNumber(action, value as number | readonly string[]);
    case 'jobs':
      return jobsOf(value as Record<string, unknown>);
    case 'sourceStates':
    case 'destinationStates':
      return (value as readonly (string | number)[]).map(String);
    case 'verdict':
      return typeof value === 'string' ? [value] : value;
    default:
      return value;
  }
}

/** A state name (or number) as its number; v1 names map to their masked values. */
function stateNumber(value: unknown, names: readonly string[], values?: readonly number[]): number {
  if (typeof value === 'number') return value;
  const i = names.indexOf(value as string);
  return values === undefined ? i : (values[i] as number);
}

/** Flags by name → their OR; region-info names region flags, feature names migration flags. */
function flagsNumber(action: Action, value: number | readonly string[]): number {
  if (typeof value === 'number') return value;
  const table = action === 'region-info' ? REGION_FLAGS : action === 'feature' ? MIGRATION_FLAGS : undefined;
  if (table === undefined) throw new PlanError(`${action}: give flags as a number`, ['expect', 'flags']);
  let flags = 0;
  for (const name of value) {
    const bit = table[name];
    if (bit === undefined)
      throw new PlanError(`${action}: "${name}" is not one of ${Object.keys(table).join(', ')}`, [
        'expect',
        'flags',
      ]);
    flags |= bit;
  }
  return flags >>> 0;
}

function jobsOf(value: Record<string, unknown>): ExpectedJobs {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    if (v !== undefined) out[k.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())] = v;
  return out as ExpectedJobs;
}
