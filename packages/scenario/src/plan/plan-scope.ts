import type { DeviceRef } from './plan.js';

/**
 * What exists at a point of a scenario, known without running it: hosts, the devices `open` named and
 * the guests `boot`ed (with their device counts), IOAS / HWPT / mapping / data-fd names, and the buffers
 * read steps fill. Steps run in order and never branch, so every reference can be checked before the
 * first step runs.
 */
export class PlanScope {
  readonly hosts: readonly string[];
  private readonly opened = new Map<string, string>();
  private readonly guests = new Map<string, { host: string; devices: number }>();
  private readonly names = {
    ioas: new Map<string, string>(),
    hwpt: new Map<string, string>(),
    mapping: new Set<string>(),
    fd: new Set<string>(),
    buffer: new Set<string>(),
  };

  constructor(hosts: readonly string[]) {
    this.hosts = hosts;
  }

  /** The host named, or the only one. */
  host(name: string | undefined): string | string {
    if (name !== undefined) {
      if (!this.hosts.includes(name))
        throw new PlanError(`no host "${name}" (hosts: ${this.hosts.join(', ')})`);
      return name;
    }
    if (this.hosts.length !== 1)
      throw new PlanError(`name the host: there are ${this.hosts.length} (${this.hosts.join(', ')})`);
    return this.hosts[0] as string;
  }

  /** The device named (`name` or `guest/n`), or the only device known so far. */
  device(ref: string | null | undefined): DeviceRef {
    if (ref === null || ref === undefined) {
      const all = this.allDevices();
      if (all.length !== 1)
        throw new PlanError(
          all.length === 0
            ? 'no device is open or booted before this step'
            : `name the device: there are ${all.length} (${all.join(', ')})`,
        );
      return this.device(all[0]);
    }
    const slash = ref.indexOf('/');
    if (slash < 0) {
      if (!this.opened.has(ref)) throw new PlanError(`no device "${ref}" was opened before this step`);
      return { kind: 'opened', name: ref };
    }
    const guest = ref.slice(0, slash);
    const index = Number(ref.slice(slash + 1));
    const g = this.guests.get(guest);
    if (g === undefined) throw new PlanError(`no guest "${guest}" was booted before this step`);
    if (index >= g.devices)
      throw new PlanError(`guest "${guest}" has ${g.devices} device(s); no device ${index}`);
    return { kind: 'guest', guest, index };
  }

  /** The host a device is on when it is known statically (an opened one), for defaults. */
  deviceHost(ref: DeviceRef): string | undefined {
    return ref.kind === 'opened' ? this.opened.get(ref.name) : this.guests.get(ref.guest)?.host;
  }

  /** `open … as: name` on `host`. */
  open(name: string, host: string): void {
    this.opened.set(name, host);
  }

  /** `boot` of a guest with `devices` devices on `host`. */
  boot(name: string, host: string, devices: number): void {
    if (this.guests.has(name)) throw new PlanError(`guest "${name}" is booted already`);
    this.guests.set(name, { host, devices });
  }

  /** The guest named, or the only one. */
  guest(name: string | null | undefined): string {
    if (name !== null && name !== undefined) {
      if (!this.guests.has(name)) throw new PlanError(`no guest "${name}" was booted before this step`);
      return name;
    }
    if (this.guests.size !== 1)
      throw new PlanError(this.guests.size === 0 ? 'no guest was booted before this step' : 'name the guest');
    return [...this.guests.keys()][0] as string;
  }

  /** Define an IOAS or HWPT name on `host`. */
  define(kind: 'ioas' | 'hwpt', name: string, host: string): void {
    this.names[kind].set(name, host);
  }

  /** An IOAS or HWPT by name, or the only one. */
  object(kind: 'ioas' | 'hwpt', name: string | undefined): string {
    const map = this.names[kind];
    if (name !== undefined) {
      if (!map.has(name)) throw new PlanError(`no ${kind.toUpperCase()} "${name}" before this step`);
      return name;
    }
    if (map.size !== 1)
      throw new PlanError(map.size === 0 ? `no ${kind.toUpperCase()} before this step` : `name the ${kind}`);
    return [...map.keys()][0] as string;
  }

  /** Whether `name` is an IOAS or HWPT (the target of an attach). */
  isPt(name: string): boolean {
    return this.names.ioas.has(name) || this.names.hwpt.has(name);
  }

  /** Define a mapping, data-fd or buffer name. */
  name(kind: 'mapping' | 'fd' | 'buffer', name: string): void {
    this.names[kind].add(name);
  }

  /** Check a mapping, data-fd or buffer name is defined. */
  known(kind: 'mapping' | 'fd' | 'buffer', name: string): string {
    if (!this.names[kind].has(name)) throw new PlanError(`no ${kind} "${name}" before this step`);
    return name;
  }

  private allDevices(): string[] {
    const guestDevices = [...this.guests].flatMap(([g, { devices }]) =>
      Array.from({ length: devices }, (_, i) => `${g}/${i}`),
    );
    return [...this.opened.keys(), ...guestDevices];
  }
}

/** A reference or argument a step cannot have at its place in the scenario. */
export class PlanError extends Error {
  constructor(
    message: string,
    /** The argument it concerns, under the step's action (e.g. `['device']`). */
    readonly field: readonly PropertyKey[] = [],
  ) {
    super(message);
  }
}
