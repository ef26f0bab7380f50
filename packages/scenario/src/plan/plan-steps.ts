import { IOMMU_HWPT_ALLOC_DIRTY_TRACKING } from '@vfio-sim/iommufd';
import type { QmFault } from '@vfio-sim/qm-hw';
import {
  VFIO_DEVICE_FEATURE_GET,
  VFIO_DEVICE_FEATURE_PROBE,
  VFIO_DEVICE_FEATURE_SET,
} from '@vfio-sim/vfio-core';
import type { FaultSpec, LinkFault } from '@vfio-sim/vmm';
import type { z } from 'zod';
import type { ACTIONS } from '../schema/steps.js';
import { FEATURES, REGIONS, V1_STATE_NAMES, V2_STATE_NAMES } from '../schema/values.js';
import type { Action, Corruption, DeviceRef, RegionRef, StepArgs } from './plan.js';
import { PlanError, type PlanScope } from './plan-scope.js';
import { bytesOfHex, bytesOfValue, v1Field } from './plan-values.js';

/** An action's arguments as the schema accepts them. */
type In<A extends Action> = z.infer<(typeof ACTIONS)[A]['args']>;

/** Page size used where a step does not give one (the model's and the kernel's PAGE_SIZE). */
const PAGE = 4096;

/** The object form of arguments that may also be written as a scalar shorthand or null. */
function form<T extends object>(args: unknown): Partial<T> {
  return args !== null && typeof args === 'object' && !Array.isArray(args) ? (args as Partial<T>) : {};
}

/** A device argument: the shorthand string, `{ device }`, or the only device. */
function deviceOf(scope: PlanScope, args: unknown): DeviceRef {
  if (typeof args === 'string') return scope.device(args);
  return withField(['device'], () => scope.device(form<{ device: string }>(args).device));
}

/** Run `fn`; a PlanError it throws concerns `field` (unless it names its own). */
function withField<T>(field: readonly PropertyKey[], fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof PlanError && e.field.length === 0) throw new PlanError(e.message, field);
    throw e;
  }
}

function regionOf(region: string | number): RegionRef {
  if (typeof region === 'number') return region;
  return region === 'migration' ? 'migration' : (REGIONS[region] as number);
}

function v2StateOf(state: string | number): number {
  return typeof state === 'number' ? state : V2_STATE_NAMES.indexOf(state);
}

const V1_VALUES = [0, 1, 2, 3, 4, 6];
function v1StateOf(state: string | number): number {
  return typeof state === 'number' ? state : (V1_VALUES[V1_STATE_NAMES.indexOf(state)] as number);
}

function corruptionsOf(
  list: readonly { at: number; xor?: number | undefined; value?: number | undefined }[] | undefined,
): Corruption[] {
  return (list ?? []).map((c, i) => {
    if ((c.xor === undefined) === (c.value === undefined))
      throw new PlanError('give one of xor or value', ['corrupt', i]);
    return c as Corruption;
  });
}

/** `{ kind, status?, bits?, iova?, length?, … }` → qm-hw's QmFault (the placement fields dropped). */
function qmFaultOf(f: {
  kind: string;
  status?: number | undefined;
  bits?: number | undefined;
  iova?: number | undefined;
  length?: number | undefined;
}): QmFault {
  switch (f.kind) {
    case 'mb-error':
      return { kind: 'mb-error', ...(f.status !== undefined ? { status: f.status } : {}) };
    case 'ras-pending':
      return { kind: 'ras-pending', ...(f.bits !== undefined ? { bits: f.bits } : {}) };
    case 'dma-fault':
      return {
        kind: 'dma-fault',
        iova: f.iova as number,
        ...(f.length !== undefined ? { length: f.length } : {}),
      };
    default:
      return { kind: f.kind } as QmFault;
  }
}

/**
 * One function per action: the schema's arguments (shorthands, names, defaults) → {@link StepArgs},
 * every reference checked against the scope, and the scope updated with what the step makes.
 */
export const PLAN_STEPS: { [A in Action]: (scope: PlanScope, args: In<A>) => StepArgs[A] } = {
  open(scope, args) {
    const a = form<{ host: string; vf: number; as: string; bind: boolean }>(args);
    const name = a.as ?? 'vf';
    // Known from here on even if the host is wrong: one error, not one per later step.
    scope.open(name, a.host ?? '');
    const host = withField(['host'], () => scope.host(a.host));
    scope.open(name, host);
    return { host, vf: a.vf ?? 0, as: name, bind: a.bind ?? true };
  },
  close: (scope, args) => ({ device: deviceOf(scope, args) }),
  'region-info'(scope, args) {
    const a = typeof args === 'object' ? args : { region: args };
    return {
      device: deviceOf(scope, a),
      region: regionOf(a.region),
      argsz: 'argsz' in a ? a.argsz : undefined,
    };
  },
  pread(scope, args) {
    const field = args.field !== undefined ? v1Field(args.field) : undefined;
    if (field !== undefined && args.offset !== undefined)
      throw new PlanError('give offset or field, not both', ['offset']);
    return {
      device: deviceOf(scope, args),
      region: regionOf(args.region),
      offset: field?.offset ?? args.offset ?? 0,
      width: args.width ?? field?.width ?? 4,
    };
  },
  pwrite(scope, args) {
    const field = args.field !== undefined ? v1Field(args.field) : undefined;
    if (field !== undefined && args.offset !== undefined)
      throw new PlanError('give offset or field, not both', ['offset']);
    if ((args.value === undefined) === (args.data === undefined))
      throw new PlanError('give one of value or data');
    const bytes =
      args.data !== undefined
        ? bytesOfHex(args.data)
        : withField(['value'], () => bytesOfValue(args.value as number, args.width ?? field?.width ?? 4));
    return {
      device: deviceOf(scope, args),
      region: regionOf(args.region),
      offset: field?.offset ?? args.offset ?? 0,
      bytes,
    };
  },
  mmap(scope, args) {
    const name = args.as ?? 'map';
    scope.name('mapping', name);
    return {
      device: deviceOf(scope, args),
      region: regionOf(args.region),
      offset: args.offset ?? 0,
      length: args.length,
      as: name,
    };
  },
  mmio(scope, args) {
    const width = args.width ?? 4;
    if (args.write !== undefined) withField(['write'], () => bytesOfValue(args.write as number, width));
    return {
      mapping: withField(['mapping'], () => scope.known('mapping', args.mapping)),
      offset: args.offset,
      width,
      write: args.write,
    };
  },
  reset: (scope, args) => ({ device: deviceOf(scope, args) }),
  feature(scope, args) {
    const index = typeof args.feature === 'number' ? args.feature : (FEATURES[args.feature] as number);
    const op = {
      get: VFIO_DEVICE_FEATURE_GET,
      set: VFIO_DEVICE_FEATURE_SET,
      probe: VFIO_DEVICE_FEATURE_PROBE,
      'probe-get': VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET,
      'probe-set': VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET,
    }[args.op ?? 'get'];
    const payload =
      args.payload === undefined
        ? new Uint8Array(0)
        : typeof args.payload === 'number'
          ? new Uint8Array(args.payload)
          : bytesOfHex(args.payload);
    return {
      device: deviceOf(scope, args),
      flags: args.flags ?? (index | op) >>> 0,
      argsz: args.argsz,
      payload,
    };
  },
  'set-state'(scope, args) {
    const a = typeof args === 'object' ? args : { state: args };
    const fdAs = 'fd-as' in a ? a['fd-as'] : undefined;
    if (fdAs !== undefined) scope.name('fd', fdAs);
    return { device: deviceOf(scope, a), state: v2StateOf(a.state), fdAs };
  },
  'get-state': (scope, args) => ({ device: deviceOf(scope, args) }),
  'mig-data-size': (scope, args) => ({ device: deviceOf(scope, args) }),
  'read-data'(scope, args) {
    const a: {
      device?: string | undefined;
      fd?: string | undefined;
      count?: number | 'eof' | undefined;
      chunk?: number | undefined;
      into?: string | undefined;
    } =
      args === null
        ? {}
        : typeof args === 'object'
          ? args
          : typeof args === 'string' && args !== 'eof'
            ? { device: args }
            : { count: args as number | 'eof' };
    const device = deviceOf(scope, a);
    const into = a.into ?? refName(device);
    scope.name('buffer', into);
    return {
      device,
      fd: a.fd !== undefined ? withField(['fd'], () => scope.known('fd', a.fd as string)) : undefined,
      count: a.count ?? 'eof',
      chunk: a.chunk ?? PAGE,
      into,
    };
  },
  'write-data'(scope, args) {
    const a =
      typeof args === 'string' ? { device: args } : form<Exclude<In<'write-data'>, string | null>>(args);
    const device = deviceOf(scope, a);
    if (a.data !== undefined && a.from !== undefined)
      throw new PlanError('give from or data, not both', ['data']);
    const from =
      a.data !== undefined
        ? bytesOfHex(a.data)
        : withField(['from'], () => scope.known('buffer', a.from ?? refName(device)));
    return {
      device,
      fd: a.fd !== undefined ? withField(['fd'], () => scope.known('fd', a.fd as string)) : undefined,
      from,
      offset: a.offset ?? 0,
      count: a.count,
      chunk: a.chunk,
      corrupt: withField(['corrupt'], () => corruptionsOf(a.corrupt)),
    };
  },
  'close-data'(scope, args) {
    const fd = form<{ fd: string }>(args).fd;
    return {
      device: deviceOf(scope, args),
      fd: fd !== undefined ? withField(['fd'], () => scope.known('fd', fd)) : undefined,
    };
  },
  'precopy-info'(scope, args) {
    const a = form<{ fd: string; argsz: number }>(args);
    return {
      device: deviceOf(scope, args),
      fd: a.fd !== undefined ? withField(['fd'], () => scope.known('fd', a.fd as string)) : undefined,
      argsz: a.argsz,
    };
  },
  'v1-set-state'(scope, args) {
    const a = typeof args === 'object' ? args : { state: args };
    return {
      device: deviceOf(scope, a),
      state: v1StateOf(a.state),
      raw: ('raw' in a ? a.raw : undefined) ?? false,
    };
  },
  'v1-save'(scope, args) {
    const a = form<{ into: string; once: boolean }>(args);
    const device = deviceOf(scope, args);
    const into = a.into ?? refName(device);
    scope.name('buffer', into);
    return { device, into, once: a.once ?? false };
  },
  'v1-load'(scope, args) {
    const a = form<{ from: string; count: number; corrupt: { at: number; xor?: number; value?: number }[] }>(
      args,
    );
    const device = deviceOf(scope, args);
    return {
      device,
      from: withField(['from'], () => scope.known('buffer', a.from ?? refName(device))),
      count: a.count,
      corrupt: withField(['corrupt'], () => corruptionsOf(a.corrupt)),
    };
  },
  'dma-logging-start': (scope, args) => ({
    device: deviceOf(scope, args),
    ranges: args.ranges,
    pageSize: args['page-size'] ?? PAGE,
  }),
  'dma-logging-stop': (scope, args) => ({ device: deviceOf(scope, args) }),
  'dma-logging-report': (scope, args) => ({
    device: deviceOf(scope, args),
    iova: args.iova,
    length: args.length,
    pageSize: args['page-size'] ?? PAGE,
  }),
  'hw-info': (scope, args) => ({ device: deviceOf(scope, args) }),
  'ioas-alloc'(scope, args) {
    const a = typeof args === 'string' ? { as: args } : form<{ host: string; as: string }>(args);
    const host = withField(['host'], () => scope.host(a.host));
    const name = a.as ?? 'ioas';
    scope.define('ioas', name, host);
    return { host, as: name };
  },
  'ioas-map': (scope, args) => ({
    ioas: withField(['ioas'], () => scope.object('ioas', args.ioas)),
    iova: args.iova,
    length: args.length,
    offset: args.offset ?? 0,
    readable: args.readable ?? true,
    writeable: args.writeable ?? true,
  }),
  'ioas-unmap': (scope, args) => ({
    ioas: withField(['ioas'], () => scope.object('ioas', args.ioas)),
    iova: args.iova,
    length: args.length,
  }),
  'hwpt-alloc'(scope, args) {
    const device = deviceOf(scope, args);
    const ioas = withField(['ioas'], () => scope.object('ioas', args.ioas));
    const name = args.as ?? 'hwpt';
    scope.define('hwpt', name, scope.deviceHost(device) ?? '');
    const flags = args.flags ?? (args['dirty-tracking'] === true ? IOMMU_HWPT_ALLOC_DIRTY_TRACKING : 0);
    return { device, ioas, flags, as: name };
  },
  attach(scope, args) {
    const a = typeof args === 'string' ? { pt: args } : args;
    if (!scope.isPt(a.pt)) throw new PlanError(`no IOAS or HWPT "${a.pt}" before this step`, ['pt']);
    return { device: deviceOf(scope, a), pt: a.pt };
  },
  detach: (scope, args) => ({ device: deviceOf(scope, args) }),
  'set-dirty-tracking'(scope, args) {
    const a = typeof args === 'boolean' ? { enable: args } : args;
    return {
      hwpt: withField(['hwpt'], () => scope.object('hwpt', 'hwpt' in a ? a.hwpt : undefined)),
      enable: a.enable,
    };
  },
  'get-dirty-bitmap': (scope, args) => ({
    hwpt: withField(['hwpt'], () => scope.object('hwpt', args.hwpt)),
    iova: args.iova ?? 0,
    length: args.length,
    pageSize: args['page-size'] ?? PAGE,
    noClear: args['no-clear'] ?? false,
  }),
  'dma-write'(scope, args) {
    if ((args.length === undefined) === (args.data === undefined))
      throw new PlanError('give one of length or data');
    const bytes =
      args.data !== undefined ? bytesOfHex(args.data) : new Uint8Array(args.length as number).fill(0xa5);
    return { device: deviceOf(scope, args), iova: args.iova, bytes };
  },
  'inject-fault': (scope, args) => ({
    host: withField(['host'], () => scope.host(args.host)),
    target: args.target ?? 0,
    fault: qmFaultOf(args),
  }),
  'clear-fault': (scope, args) => ({
    host: withField(['host'], () => scope.host(args.host)),
    target: args.target ?? 0,
    kind: args.kind as QmFault['kind'] | undefined,
  }),
  boot(scope, args) {
    const a = form<{ guest: string; host: string; memory: number; devices: number | string[] }>(args);
    const devices =
      typeof a.devices === 'object' ? a.devices : Array.from({ length: a.devices ?? 1 }, () => 'hisi-acc-vf');
    const guest = a.guest ?? 'guest';
    // Known from here on even if the host is wrong: one error, not one per later step.
    withField(['guest'], () => scope.boot(guest, a.host ?? '', devices.length));
    const host = withField(['host'], () => scope.host(a.host));
    return { guest, host, memory: a.memory, devices };
  },
  workload(scope, args) {
    const a = form<{ guest: string; jobs: number; 'period-us': number; limit: number; seed: number }>(args);
    return {
      guest: withField(['guest'], () => scope.guest(a.guest)),
      jobs: a.jobs,
      periodUs: a['period-us'],
      limit: a.limit,
      seed: a.seed,
    };
  },
  submit(scope, args) {
    const a = typeof args === 'number' ? { jobs: args } : args;
    return {
      guest: withField(['guest'], () => scope.guest('guest' in a ? a.guest : undefined)),
      jobs: a.jobs,
    };
  },
  run: (_scope, args) => ({ us: typeof args === 'object' ? args.us : args }),
  'stop-vcpus': (scope, args) => ({ guest: guestOf(scope, args) }),
  'start-vcpus': (scope, args) => ({ guest: guestOf(scope, args) }),
  migrate(scope, args) {
    const ram = args.ram;
    return {
      guest: withField(['guest'], () => scope.guest(args.guest)),
      to: withField(['to'], () => scope.host(args.to)),
      protocol: args.protocol ?? 'v2',
      precopy: args.precopy,
      bytesPerUs: args.link?.['bytes-per-us'],
      sectionCrc: args.link?.['section-crc'],
      linkFaults: (args.link?.faults ?? []).map(linkFaultOf),
      ram:
        ram === undefined
          ? undefined
          : {
              ...(ram['downtime-limit-us'] !== undefined
                ? { downtimeLimitUs: ram['downtime-limit-us'] }
                : {}),
              ...(ram['max-rounds'] !== undefined ? { maxRounds: ram['max-rounds'] } : {}),
            },
      switchoverAck: args['switchover-ack'],
      maxPrecopyIterations: args['max-precopy-iterations'],
      jobsAfter: args['jobs-after'],
      faults: (args.faults ?? []).map(
        (f): FaultSpec => ({
          fault: qmFaultOf(f),
          at: f.at as FaultSpec['at'],
          ...(f.side !== undefined ? { side: f.side } : {}),
          ...(f.target !== undefined ? { target: f.target } : {}),
          ...(f.device !== undefined ? { device: f.device } : {}),
          ...(f['clear-at'] !== undefined
            ? { clearAt: f['clear-at'] as NonNullable<FaultSpec['clearAt']> }
            : {}),
        }),
      ),
    };
  },
  tally: (scope, args) => ({ guest: guestOf(scope, args) }),
  'write-ram': (scope, args) => ({
    guest: withField(['guest'], () => scope.guest(args.guest)),
    pages: args.pages,
    seed: args.seed ?? 1,
  }),
};

/** A link fault as written → vmm's LinkFault (optional fields left out when not given). */
function linkFaultOf(
  f:
    | { kind: 'flip'; section: number; phase?: string | undefined; byte: number; mask?: number | undefined }
    | { kind: 'cut'; section: number; phase?: string | undefined; keep: number },
): LinkFault {
  const phase = f.phase !== undefined ? { phase: f.phase as NonNullable<LinkFault['phase']> } : {};
  return f.kind === 'flip'
    ? {
        kind: 'flip',
        section: f.section,
        byte: f.byte,
        ...phase,
        ...(f.mask !== undefined ? { mask: f.mask } : {}),
      }
    : { kind: 'cut', section: f.section, keep: f.keep, ...phase };
}

function guestOf(scope: PlanScope, args: unknown): string {
  const name = typeof args === 'string' ? args : form<{ guest: string }>(args).guest;
  return withField(['guest'], () => scope.guest(name));
}

/** A device reference as written (`vf`, `g/0`): the default name of its buffer. */
export function refName(ref: DeviceRef): string {
  return ref.kind === 'opened' ? ref.name : `${ref.guest}/${ref.index}`;
}
