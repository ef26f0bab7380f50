import { KernelError } from '@vfio-sim/platform';
import { HostFingerprint, type Plan, type ScenarioHosts, type ScenarioWorld } from '@vfio-sim/scenario';

/** Hosts kept for the next case that plans the same ones, with their fingerprints as built. */
interface Kept {
  readonly hosts: ScenarioHosts;
  readonly asBuilt: ReadonlyMap<string, HostFingerprint>;
}

/** Per worker thread: at most one set of hosts per kind of hosts (accelerator × IOMMU format). */
const KEPT = new Map<string, Kept>();
/** The fingerprint a released host is read into (reused). */
const AFTER = new HostFingerprint();

/** Which hosts a plan builds (and a kept set must have been built as). */
function hostsKey(plan: Pick<Plan, 'seed' | 'hosts'>): string {
  return JSON.stringify([plan.seed, plan.hosts]);
}

/**
 * Hosts a uAPI case can run on: the kept ones for the same plan of hosts (taken: no other case gets them
 * meanwhile), or undefined (build new ones).
 */
export function takeKeptHosts(
  plan: Pick<Plan, 'seed' | 'hosts'>,
): { readonly hosts: ScenarioHosts; readonly asBuilt: ReadonlyMap<string, HostFingerprint> } | undefined {
  const key = hostsKey(plan);
  const kept = KEPT.get(key);
  KEPT.delete(key);
  return kept;
}

/** The fingerprints of a world's hosts just built (before any step). */
export function fingerprintsAsBuilt(world: ScenarioWorld): Map<string, HostFingerprint> {
  return new Map([...world.hosts].map(([name, host]) => [name, new HostFingerprint().take(host)]));
}

/**
 * After a case: release its world (its VMM processes' fds closed) and keep the hosts for the next case
 * of the same plan — only if each host is, by its fingerprint, exactly as it was built (QM hardware of
 * the PF and every VF, the device's globals, the variant driver's migration state, bindings, pending
 * events). A host a case left changed is dropped; the next case builds new ones.
 * @returns whether the hosts were kept, or the first difference that stopped it
 */
export function keepHosts(
  plan: Pick<Plan, 'seed' | 'hosts'>,
  world: ScenarioWorld,
  asBuilt: ReadonlyMap<string, HostFingerprint>,
): true | string {
  let hosts: ScenarioHosts;
  try {
    hosts = world.release();
  } catch (e) {
    if (e instanceof KernelError) return `release: ${e.errno} ${e.message}`;
    throw e;
  }
  for (const [name, host] of hosts.hosts) {
    const built = asBuilt.get(name);
    const diff = built === undefined ? 'no fingerprint' : AFTER.take(host).diff(built);
    if (diff !== undefined) return `${name}: ${diff}`;
  }
  KEPT.set(hostsKey(plan), { hosts, asBuilt });
  return true;
}
