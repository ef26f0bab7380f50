import { KernelError } from '@vfio-sim/platform';
import {
  DeviceFingerprint,
  HostFingerprint,
  type Plan,
  type PlannedStep,
  type ScenarioHosts,
  type ScenarioWorld,
} from '@vfio-sim/scenario';
import type { Host } from '@vfio-sim/vmm';

/**
 * A world whose devices a previous uAPI case left open, and what it was right after its opening step:
 * each host's and each open device's fingerprint (the device's state, sessions, hardware, its VMM
 * process's fds and iommufd objects) and each VMM process's user memory (heap blocks, mappings).
 */
export interface OpenedWorld {
  readonly world: ScenarioWorld;
  /** The step that opened the devices (a case skips it only if its own first step is the same). */
  readonly openStep: string;
  readonly hosts: ReadonlyMap<string, HostFingerprint>;
  readonly devices: readonly DeviceFingerprint[];
  readonly memory: readonly number[];
}

/** Hosts kept for the next case that plans the same ones, with their fingerprints as built. */
export interface KeptHosts {
  readonly hosts: ScenarioHosts;
  readonly asBuilt: ReadonlyMap<string, HostFingerprint>;
  /** The world of the previous case, its devices still open and as opened; or none (open them anew). */
  readonly opened: OpenedWorld | undefined;
}

/** Per worker thread: at most one set of hosts per kind of hosts (accelerator × IOMMU format). */
const KEPT = new Map<string, KeptHosts>();
/** The fingerprints a released host or a rewound device is read into (reused). */
const AFTER = new HostFingerprint();
const DEVICE_AFTER = new DeviceFingerprint();

/** Which hosts a plan builds (and a kept set must have been built as). */
function hostsKey(plan: Pick<Plan, 'seed' | 'hosts'>): string {
  return JSON.stringify([plan.seed, plan.hosts]);
}

/**
 * Hosts a uAPI case can run on: the kept ones for the same plan of hosts (taken: no other case gets them
 * meanwhile), or undefined (build new ones).
 */
export function takeKeptHosts(plan: Pick<Plan, 'seed' | 'hosts'>): KeptHosts | undefined {
  const key = hostsKey(plan);
  const kept = KEPT.get(key);
  KEPT.delete(key);
  return kept;
}

/** The fingerprints of a world's hosts just built (before any step). */
export function fingerprintsAsBuilt(world: ScenarioWorld): Map<string, HostFingerprint> {
  return new Map([...world.hosts].map(([name, host]) => [name, new HostFingerprint().take(host)]));
}

/** What `step` is, to tell whether a kept world's opening step is a case's own first step. */
export function openStepKey(step: PlannedStep): string {
  return JSON.stringify([step.action, step.args]);
}

/** A world right after `openStep` opened its devices: its fingerprints, to compare after each case. */
export function fingerprintsAsOpened(world: ScenarioWorld, openStep: PlannedStep): OpenedWorld {
  return {
    world,
    openStep: openStepKey(openStep),
    hosts: fingerprintsAsBuilt(world),
    devices: world.allDevices().map((d) => new DeviceFingerprint().take(d)),
    memory: userMemory(world),
  };
}

/** Each of the world's VMM processes' heap and mappings (`heapStats`), its numbers one after the other. */
function userMemory(world: ScenarioWorld): number[] {
  return world.allVmms().flatMap((v) => Object.values(v.process.mm.heapStats()));
}

/**
 * After a case: keep its world for the next case of the same plan with the devices still open — the
 * world rewound (`ScenarioWorld.rewind`: the steps' data fds closed, mappings unmapped, buffers freed)
 * and then, by fingerprint, exactly as it was opened (every host; every open device and its VMM
 * process; the processes' user memory). Otherwise release it (its VMM processes' fds closed) and keep the
 * hosts only if each is, by its fingerprint, exactly as it was built (QM hardware of the PF and every
 * VF, the device's globals, the variant driver's migration state, bindings, pending events). A host a
 * case left changed is dropped; the next case builds new ones.
 * @returns `opened` (the world kept, devices open), `hosts` (the hosts kept), or the first difference
 *   that stopped it
 */
export function keepHosts(
  plan: Pick<Plan, 'seed' | 'hosts'>,
  world: ScenarioWorld,
  asBuilt: ReadonlyMap<string, HostFingerprint>,
  asOpened: OpenedWorld | undefined,
): 'opened' | 'hosts' | string {
  if (asOpened !== undefined && asOpened.world === world && stillAsOpened(asOpened) === undefined) {
    KEPT.set(hostsKey(plan), { hosts: { sim: world.sim, hosts: world.hosts }, asBuilt, opened: asOpened });
    return 'opened';
  }
  let hosts: ScenarioHosts;
  try {
    hosts = world.release();
  } catch (e) {
    if (e instanceof KernelError) return `release: ${e.errno} ${e.message}`;
    throw e;
  }
  const diff = hostsDiff(hosts.hosts, asBuilt);
  if (diff !== undefined) return diff;
  KEPT.set(hostsKey(plan), { hosts, asBuilt, opened: undefined });
  return 'hosts';
}

/** Rewind the world and compare it with its fingerprints as opened: the first difference, or undefined. */
export function stillAsOpened(asOpened: OpenedWorld): string | undefined {
  const { world } = asOpened;
  try {
    world.rewind();
  } catch (e) {
    if (e instanceof KernelError) return `rewind: ${e.errno} ${e.message}`;
    throw e;
  }
  const devices = world.allDevices();
  if (devices.length !== asOpened.devices.length)
    return `devices: ${asOpened.devices.length} → ${devices.length}`;
  for (const [i, entry] of devices.entries()) {
    const diff = DEVICE_AFTER.take(entry).diff(asOpened.devices[i]!);
    if (diff !== undefined) return diff;
  }
  const memory = userMemory(world);
  if (memory.length !== asOpened.memory.length || memory.some((n, i) => n !== asOpened.memory[i]))
    return `user memory (heapStats): ${asOpened.memory.join(' ')} → ${memory.join(' ')}`;
  return hostsDiff(world.hosts, asOpened.hosts);
}

/** The first host that differs from its fingerprint in `then`, as `name: difference`, or undefined. */
function hostsDiff(
  hosts: ReadonlyMap<string, Host>,
  then: ReadonlyMap<string, HostFingerprint>,
): string | undefined {
  for (const [name, host] of hosts) {
    const built = then.get(name);
    const diff = built === undefined ? 'no fingerprint' : AFTER.take(host).diff(built);
    if (diff !== undefined) return `${name}: ${diff}`;
  }
  return undefined;
}
