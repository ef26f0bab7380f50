import { KernelError, Prng, Tracer, type TraceSink, VirtualClock } from '@vfio-sim/platform';
import { Host, type HostOptions } from '../host/host.js';
import { Guest, type GuestOptions } from './guest.js';

/** Options of {@link Simulation}. */
export interface SimulationOptions {
  /** Seeds every random choice (default 1): same seed, same run. */
  readonly seed?: number;
  /**
   * Where every host and guest traces (QM devices, PF drivers, the VMMs' migrations, the guests'
   * drivers). Tracing only records: the run and its virtual times are the same without it.
   */
  readonly traceSink?: TraceSink;
}

/** Options of {@link Simulation.createHost}: a host's, without the clock and tracer the simulation owns. */
export type SimulationHostOptions = Omit<HostOptions, 'clock' | 'tracer'>;

/**
 * The world a scenario runs in: one virtual clock every host shares, a seeded generator, and the trace
 * sink. Hosts and guests are created here; {@link migrate} moves a guest between hosts.
 *
 * Deterministic: virtual time only, every random choice from the seed — same seed, same result, byte
 * for byte.
 */
export class Simulation {
  readonly clock: VirtualClock;
  readonly seed: number;
  /** The generator guests draw their workload seeds from (and a scenario may draw from too). */
  readonly prng: Prng;
  private readonly sink: TraceSink | undefined;
  private readonly names = new Set<string>();

  /** @throws KernelError EINVAL for a seed that is not an integer in [0, 2^32). */
  constructor(options: SimulationOptions = {}) {
    const seed = options.seed ?? 1;
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff)
      throw new KernelError('EINVAL', `seed ${seed} is not an integer in [0, 2^32)`);
    this.seed = seed;
    this.clock = new VirtualClock();
    this.prng = new Prng(seed);
    this.sink = options.traceSink;
  }

  /**
   * A host on this simulation's clock (see {@link Host}): its accelerator (`kind`, default zip) with
   * `numVfs` VFs (default 2) bound to hisi-acc-vfio-pci, its IOMMU (`iommu` format), and any more
   * devices ({@link HostOptions.devices}).
   * @throws KernelError EEXIST for a name already used; EINVAL for bad options.
   */
  createHost(options: SimulationHostOptions): Host {
    if (this.names.has(options.name)) throw new KernelError('EEXIST', `a host named ${options.name} exists`);
    const host = new Host({
      ...options,
      clock: this.clock,
      ...(this.sink !== undefined
        ? { tracer: Tracer.create(this.clock, this.sink, options.name, 'qemu') }
        : {}),
    });
    this.names.add(options.name);
    return host;
  }

  /**
   * Boot a guest on `options.host` with its devices (see {@link Guest.create}).
   * @throws KernelError ENODEV if the host has no free device of a model asked for.
   */
  createGuest(options: GuestOptions): Guest {
    const name = options.name ?? 'guest';
    const tracer = this.sink !== undefined ? Tracer.create(this.clock, this.sink, name, 'vCPUs') : undefined;
    return Guest.create(options, this.prng, tracer);
  }

  /** Let `us` µs of virtual time pass (every event due meanwhile runs). */
  run(us: number): void {
    if (!(Number.isInteger(us) && us >= 0)) throw new KernelError('EINVAL', `run for ${us} µs`);
    this.clock.runUntil(this.clock.now() + us);
  }

  /** Run events until none is left (the guests' streams ended, every job done). */
  runUntilIdle(): void {
    this.clock.runUntilIdle();
  }

  /**
   * Run events one by one until `done()` holds.
   * @throws KernelError EDEADLK if the clock goes idle first.
   */
  runUntil(done: () => boolean): void {
    while (!done()) {
      const next = this.clock.nextEventTime();
      if (next === undefined)
        throw new KernelError('EDEADLK', 'the clock went idle before the condition held');
      this.clock.runUntil(next);
    }
  }
}
