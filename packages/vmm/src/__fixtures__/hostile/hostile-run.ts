/**
 * Test scaffolding (not part of the package API): the hostile-input runs `pnpm test` makes bounded and
 * `pnpm soak` makes at scale — the same code, other numbers.
 *
 * 1. Request sequences ({@link runHostileSequences}): fast-check draws sequences of hostile requests on
 *    the guest's device fd, the v1 region, iommufd and a saving data fd; every request fails with a
 *    KernelError only, and leaves the device as it was; then the guest migrates (PASS).
 * 2. Stream cases ({@link runStreamCases}): fast-check draws corrupted and truncated device-state
 *    streams (from a real save) that a hostile VMM writes into the destination's free VF over v2 (a
 *    resuming data fd, in chunks) or v1 (the region), then starts it: every failure is a KernelError,
 *    a failed load leaves the device as it was (or in the documented ERROR state), a reset brings it
 *    back; then the guest migrates into that very VF (PASS).
 */
import { VFIO_DEVICE_STATE_IS_ERROR } from '@vfio-sim/migration-v1';
import {
  QemuFileReader,
  QemuFileWriter,
  VFIO_DEVICE_STATE_ERROR,
  VFIO_DEVICE_STATE_PRE_COPY,
  VFIO_DEVICE_STATE_RESUMING,
  VFIO_DEVICE_STATE_RUNNING,
  VFIO_DEVICE_STATE_STOP,
  VFIO_MIG_FLAG_DEV_DATA_STATE,
  VFIO_MIG_FLAG_END_OF_STATE,
} from '@vfio-sim/migration-v2';
import { KernelError } from '@vfio-sim/platform';
import fc from 'fast-check';
import { IommufdBackend } from '../../devices/iommufd-backend.js';
import { openQemuV1Client } from '../../migration/vfio/v1-region.js';
import { migrate } from '../../simulation/migrate.js';
import { applyHostileOp, type HostileOp, hostileDataFdOp, hostileOp } from './hostile-ops.js';
import { deviceState, type HostileWorld, hostileVm, hostileWorld, isIdle, qmState } from './hostile-world.js';

/** What a run of request sequences did. */
export interface HostileSequenceFigures {
  readonly sequences: number;
  readonly requests: number;
  /** Requests refused with a KernelError (the rest succeeded and changed nothing). */
  readonly rejected: number;
  /** Migrations after the sequences, every one PASS. */
  readonly migrations: number;
}

/** What a run of stream cases did. */
export interface StreamCaseFigures {
  readonly cases: number;
  /** Streams refused (a write or the load failed with a KernelError). */
  readonly rejected: number;
  /** Streams the destination loaded (a corruption upstream cannot tell from a real state). */
  readonly loaded: number;
  /** Loads that left the VF in ERROR (documented: only a reset recovers). */
  readonly errorState: number;
  /** Migrations into the abused VF afterwards, every one PASS. */
  readonly migrations: number;
}

/**
 * `runs` sequences of up to `maxOps` hostile requests (and up to 8 on a saving data fd), each on a fresh
 * world, each followed by a migration (v1 and v2 in turn) that must PASS.
 * @throws the property's counterexample (fast-check, with its seed and path) when a rule breaks.
 */
export function runHostileSequences(options: {
  runs: number;
  seed: number;
  maxOps?: number;
}): HostileSequenceFigures {
  const f = { sequences: 0, requests: 0, rejected: 0, migrations: 0 };
  fc.assert(
    fc.property(
      fc.array(hostileOp, { maxLength: options.maxOps ?? 20 }),
      fc.array(hostileDataFdOp, { maxLength: 8 }),
      fc.constantFrom('v1' as const, 'v2' as const),
      (ops, dataOps, protocol) => {
        const w = hostileWorld(1 + (f.sequences % 7));
        const vm = w.guest.vm;
        const t = {
          dev: w.vf,
          iommufdFd: IommufdBackend.of(vm).fd,
          ramEnd: vm.memory.size,
        };
        const check = (op: HostileOp, dataFd?: number) => {
          const before = deviceState(w.source, vm);
          const errno = applyHostileOp(dataFd === undefined ? t : { ...t, dataFd }, op);
          f.requests++;
          if (errno !== undefined) f.rejected++;
          const after = deviceState(w.source, vm);
          if (after !== before)
            throw new Error(
              `${describe(op)} → ${errno ?? 'success'} changed the device:\n${before}\n${after}`,
            );
        };
        for (const op of ops) check(op);
        if (dataOps.length > 0)
          dataFdSession(w, (fd) => {
            for (const op of dataOps) check(op, fd);
          });
        w.sim.runUntilIdle();
        const r = migrate(w.guest, { to: w.destination, protocol, jobsAfter: 2 });
        if (r.result !== 'PASS')
          throw new Error(`the migration after the sequence: ${r.failures.join('; ')}`);
        f.migrations++;
        f.sequences++;
      },
    ),
    { numRuns: options.runs, seed: options.seed, endOnFailure: true },
  );
  return f;
}

/** A saving session (RUNNING → PRE_COPY, legitimately) around `use`, then back to RUNNING. */
function dataFdSession(w: HostileWorld, use: (fd: number) => void): void {
  const h = w.vf.handle;
  const fd = h.setMigState(VFIO_DEVICE_STATE_PRE_COPY);
  if (fd === undefined) throw new KernelError('EBADF', 'PRE_COPY gave no data fd');
  try {
    use(fd);
  } finally {
    h.setMigState(VFIO_DEVICE_STATE_RUNNING);
    h.process.close(fd);
  }
}

/** A corruption of a saved device-state stream. */
type StreamMutation =
  | { readonly kind: 'flip'; readonly at: number; readonly mask: number }
  | { readonly kind: 'flips'; readonly at: readonly number[]; readonly mask: number }
  | { readonly kind: 'truncate'; readonly to: number }
  | { readonly kind: 'extend'; readonly tail: Uint8Array }
  | { readonly kind: 'garbage'; readonly bytes: Uint8Array };

const mutation: fc.Arbitrary<StreamMutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({
    kind: fc.constant('flips' as const),
    at: fc.array(fc.nat(), { minLength: 2, maxLength: 6 }),
    mask: fc.integer({ min: 1, max: 255 }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), to: fc.nat() }),
  fc.record({ kind: fc.constant('extend' as const), tail: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  fc.record({ kind: fc.constant('garbage' as const), bytes: fc.uint8Array({ maxLength: 256 }) }),
);

function mutate(base: Uint8Array, m: StreamMutation): Uint8Array {
  switch (m.kind) {
    case 'flip': {
      const out = base.slice();
      const i = m.at % out.length;
      out[i] = (out[i] as number) ^ m.mask;
      return out;
    }
    case 'flips': {
      const out = base.slice();
      for (const at of m.at) out[at % out.length] = (out[at % out.length] as number) ^ m.mask;
      return out;
    }
    case 'truncate':
      return base.slice(0, m.to % base.length);
    case 'extend':
      return Uint8Array.from([...base, ...m.tail]);
    case 'garbage':
      return m.bytes;
  }
}

/**
 * `runs` corrupted streams per world into the destination's VF held by a hostile VMM (a fresh world
 * every `perWorld` cases), each followed by a reset; after each world's cases the hostile VMM quits and
 * the guest migrates into that VF (v1 and v2 in turn), which must PASS.
 * @throws the property's counterexample when a rule breaks.
 */
export function runStreamCases(options: {
  runs: number;
  seed: number;
  perWorld?: number;
}): StreamCaseFigures {
  const perWorld = options.perWorld ?? 2000;
  const f = { cases: 0, rejected: 0, loaded: 0, errorState: 0, migrations: 0 };
  let w: HostileWorld | undefined;
  let hostile: ReturnType<typeof hostileVm> | undefined;
  let idleState = '';
  const finishWorld = () => {
    if (w === undefined || hostile === undefined) return;
    hostile.vm.quit();
    w.sim.runUntilIdle();
    const r = migrate(w.guest, {
      to: w.destination,
      protocol: f.migrations % 2 === 0 ? 'v2' : 'v1',
      jobsAfter: 2,
    });
    if (r.result !== 'PASS') throw new Error(`the migration into the abused VF: ${r.failures.join('; ')}`);
    f.migrations++;
    w = undefined;
    hostile = undefined;
  };
  fc.assert(
    fc.property(
      fc.constantFrom('v1' as const, 'v2' as const),
      mutation,
      fc.array(fc.nat(), { maxLength: 3 }),
      (protocol, m, cuts) => {
        if (w === undefined || f.cases % perWorld === 0) {
          finishWorld();
          w = hostileWorld(1 + (f.migrations % 7));
          hostile = hostileVm(w.destination);
          hostile.dev.handle.reset();
          idleState = qmState(w.destination);
        }
        const dst = w.destination;
        const dev = (hostile as ReturnType<typeof hostileVm>).dev;
        const bytes = mutate(w.streams[protocol], m);
        let failed: string | undefined;
        try {
          if (protocol === 'v2') loadV2(dev, bytes, cuts);
          else loadV1(dev, bytes);
        } catch (e) {
          if (!(e instanceof KernelError)) throw e;
          failed = e.errno;
        }
        f.cases++;
        const hdev = dst.vfioDevice(0);
        if (failed === undefined) f.loaded++;
        else {
          f.rejected++;
          const inError =
            protocol === 'v2'
              ? hdev.migState === VFIO_DEVICE_STATE_ERROR
              : VFIO_DEVICE_STATE_IS_ERROR(hdev.migRegionV1?.state ?? 0);
          if (inError) f.errorState++;
          // every case starts from the VF just reset: a refused stream must leave it exactly so
          else if (qmState(dst) !== idleState)
            throw new Error(`a refused ${protocol} stream (${failed}) changed the VF`);
        }
        dev.handle.reset();
        if (!isIdle(dst)) throw new Error('the VF is not back in RUNNING after the reset');
      },
    ),
    { numRuns: options.runs, seed: options.seed, endOnFailure: true },
  );
  finishWorld();
  return f;
}

/** A v2 load: RUNNING → RESUMING, the bytes written in pieces cut at `cuts`, RESUMING → STOP (load). */
function loadV2(dev: ReturnType<typeof hostileVm>['dev'], bytes: Uint8Array, cuts: readonly number[]): void {
  const h = dev.handle;
  const p = h.process;
  const fd = h.setMigState(VFIO_DEVICE_STATE_RESUMING);
  if (fd === undefined) throw new Error('RESUMING gave no data fd');
  try {
    const va = p.mm.alloc(Math.max(1, bytes.length), 8);
    p.mm.copyToUser(va, bytes);
    const ends = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % bytes.length)))].sort(
      (a, b) => a - b,
    );
    let at = 0;
    for (const end of [...ends, bytes.length]) {
      if (end > at) p.write(fd, va + at, end - at);
      at = Math.max(at, end);
    }
    h.setMigState(VFIO_DEVICE_STATE_STOP);
  } finally {
    p.close(fd);
  }
}

/** A v1 load through QEMU's v1 client: RESUMING, one DATA record, RUNNING (load). */
function loadV1(dev: ReturnType<typeof hostileVm>['dev'], bytes: Uint8Array): void {
  const c = openQemuV1Client(dev);
  c.loadSetup();
  const w = new QemuFileWriter();
  w.putBe64(VFIO_MIG_FLAG_DEV_DATA_STATE);
  w.putBe64(BigInt(bytes.length));
  w.putBuffer(bytes);
  w.putBe64(VFIO_MIG_FLAG_END_OF_STATE);
  c.loadState(new QemuFileReader(w.toBytes()));
  c.vmStart();
}

function describe(op: HostileOp): string {
  return JSON.stringify(op, (_, v) => (v instanceof Uint8Array ? `[${v.length} bytes]` : v));
}
