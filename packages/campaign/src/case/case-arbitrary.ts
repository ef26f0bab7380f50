import type { QmFaultKind, QmKind } from '@vfio-sim/qm-hw';
import {
  LINK_10GBIT_BYTES_PER_US,
  MATRIX_QM_FAULTS,
  MIGRATION_PHASES,
  type MigrationPhaseName,
} from '@vfio-sim/vmm';
import fc from 'fast-check';
import type { CampaignCase, CaseFault, HostileStep, MigrationCase, UapiCase } from './campaign-case.js';

/*
 * The space of cases, as fast-check arbitraries: every field drawn independently, then normalized to a
 * case that makes sense (a v1 guest has no mtty, a qm fault needs an accelerator VF, a saving session
 * needs v2). Listing the simplest choice first in each `constantFrom` / `oneof` is what
 * makes fast-check's shrinking head for the simplest case: no fault, one VF, fewer steps, fewer jobs.
 */

/** v2 states: RUNNING (the current one: a no-op), ERROR, RUNNING_P2P, PRE_COPY_P2P; then out of range. */
const V2_REFUSED = [2, 0, 5, 7] as const;
const VFIO_DEVICE_STATE_ERROR = 0;

const hostileStep: fc.Arbitrary<HostileStep> = fc.oneof(
  fc.record({
    op: fc.constant('v2-arc' as const),
    state: fc.oneof(fc.constantFrom(...V2_REFUSED), fc.integer({ min: 8, max: 0x7fff_ffff })),
  }),
  fc.oneof(
    fc.record({
      op: fc.constant('v1-arc' as const),
      // RUNNING (a no-op), RESUMING | RUNNING, SAVING | RESUMING | RUNNING, the error state
      state: fc.constantFrom(1, 5, 7, 6),
      raw: fc.constant(false),
    }),
    fc.record({
      op: fc.constant('v1-arc' as const),
      state: fc.integer({ min: 1, max: 0x1f_ffff }).map((bits) => ((bits << 3) | 1) >>> 0),
      raw: fc.constant(true),
    }),
  ),
  fc.oneof(
    fc.record({
      op: fc.constant('feature' as const),
      feature: fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 0xffff })),
      access: fc.constantFrom('get' as const, 'probe' as const),
      argsz: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 0xffff_ffff })),
    }),
    // a SET too short for any payload
    fc.record({
      op: fc.constant('feature' as const),
      feature: fc.integer({ min: 0, max: 12 }),
      access: fc.constant('set' as const),
      argsz: fc.integer({ min: 0, max: 15 }),
    }),
  ),
  fc.oneof(
    fc.record({
      op: fc.constant('region' as const),
      access: fc.constant('info' as const),
      region: fc.integer({ min: 0, max: 40 }),
      offset: fc.constant(0),
    }),
    fc.record({
      op: fc.constant('region' as const),
      access: fc.constantFrom('read' as const, 'mmap' as const),
      // BAR2's migration half, or a region that does not exist
      region: fc.oneof(fc.constant(2), fc.integer({ min: 10, max: 40 })),
      offset: fc.integer({ min: 0x2000, max: 0x3fff }).map((w) => w * 4),
    }),
  ),
  fc.record({
    op: fc.constant('data-fd' as const),
    misuse: fc.array(fc.constantFrom('write' as const, 'precopy-info' as const, 'read' as const), {
      minLength: 1,
      maxLength: 3,
    }),
  }),
  fc.record({
    op: fc.constant('stream' as const),
    flips: fc.array(
      fc.record({ at: fc.integer({ min: 0, max: 175 }), xor: fc.integer({ min: 1, max: 255 }) }),
      {
        maxLength: 3,
      },
    ),
    keep: fc.option(fc.integer({ min: 0, max: 175 }), { nil: null }),
  }),
);

/** A qm-hw fault, or a link fault: where and when. */
const fault: fc.Arbitrary<CaseFault> = fc.oneof(
  fc.record({
    on: fc.constant('qm' as const),
    kind: fc.constantFrom<QmFaultKind>(...MATRIX_QM_FAULTS),
    side: fc.constantFrom('source' as const, 'destination' as const),
    target: fc.constantFrom('vf' as const, 'pf' as const),
    device: fc.integer({ min: 0, max: 1 }),
    at: fc.oneof(
      fc.constantFrom<MigrationPhaseName>(...MIGRATION_PHASES),
      fc.record({ us: fc.integer({ min: 0, max: 2000 }) }),
    ),
  }),
  fc.record({
    on: fc.constant('link' as const),
    kind: fc.constantFrom('flip' as const, 'cut' as const),
    section: fc.integer({ min: 0, max: 3 }),
    phase: fc.constantFrom(undefined, 'setup' as const, 'pre-copy' as const, 'stop-and-copy' as const),
    byte: fc.integer({ min: 0, max: 200 }),
    mask: fc.integer({ min: 1, max: 255 }),
  }),
);

const accel = fc.constantFrom<QmKind>('zip', 'sec', 'hpre');
const iommu = fc.constantFrom('arm-smmuv3-s1' as const, 'vtd-ss' as const, 'amd-v1' as const);
const protocol = fc.constantFrom('v2' as const, 'v1' as const);

/** A full live-migration case (normalized: see {@link normalizeMigrationCase}). */
export const migrationCaseArbitrary: fc.Arbitrary<MigrationCase> = fc
  .record({
    kind: fc.constant('migration' as const),
    accel,
    iommu,
    protocol,
    hisiVfs: fc.integer({ min: 0, max: 2 }),
    mttys: fc.integer({ min: 0, max: 2 }),
    extraMiB: fc.integer({ min: 0, max: 4 }),
    touchedPages: fc.integer({ min: 0, max: 256 }),
    jobs: fc.integer({ min: 0, max: 8 }),
    periodUs: fc.constantFrom(0, 10, 20, 50),
    limit: fc.integer({ min: 0, max: 16 }),
    workloadSeed: fc.integer({ min: 0, max: 0xffff }),
    runUs: fc.integer({ min: 0, max: 200 }),
    precopy: fc.boolean(),
    bytesPerUs: fc.constantFrom(
      LINK_10GBIT_BYTES_PER_US,
      LINK_10GBIT_BYTES_PER_US / 10,
      LINK_10GBIT_BYTES_PER_US * 10,
    ),
    fault: fc.option(fault, { nil: null, freq: 3 }),
    hostile: fc.array(hostileStep, { maxLength: 4 }),
    jobsAfter: fc.integer({ min: 0, max: 3 }),
  })
  .map(normalizeMigrationCase);

/** A uAPI-only case (normalized: see {@link normalizeHostile}). */
export const uapiCaseArbitrary: fc.Arbitrary<UapiCase> = fc
  .record({
    kind: fc.constant('uapi' as const),
    accel,
    iommu,
    protocol,
    steps: fc.array(hostileStep, { minLength: 1, maxLength: 8 }),
  })
  .map((c) => ({ ...c, steps: c.steps.map((s) => normalizeHostile(s, c.protocol)) }));

/** Every case: three migration cases for one uAPI-only case. */
export const caseArbitrary: fc.Arbitrary<CampaignCase> = fc.oneof(
  { arbitrary: migrationCaseArbitrary, weight: 3 },
  { arbitrary: uapiCaseArbitrary, weight: 1 },
);

/**
 * Make a drawn migration case consistent: a v1 guest has no mtty (the sample speaks v2 only); a qm
 * fault targets one of the guest's accelerator VFs (none without one) and a DMA fault the guest
 * driver's memory of that VF on the VF; the touched pages fit the RAM beyond the drivers'; the hostile
 * requests on the guest's device 0 need it to be an accelerator VF.
 */
export function normalizeMigrationCase(c: MigrationCase): MigrationCase {
  const mttys = c.protocol === 'v1' ? 0 : c.mttys;
  const hisiVfs = c.hisiVfs + mttys === 0 ? 1 : c.hisiVfs;
  const touchedPages = Math.min(c.touchedPages, c.extraMiB * 256);
  let f = c.fault;
  if (f?.on === 'qm')
    f =
      hisiVfs === 0
        ? null
        : { ...f, device: f.device % hisiVfs, ...(f.kind === 'dma-fault' ? { target: 'vf' as const } : {}) };
  // the hostile requests go to device 0, an accelerator VF; a guest of mttys only keeps its stream
  // requests (they go to the destination's free VF)
  const hostile = hisiVfs === 0 ? c.hostile.filter((s) => s.op === 'stream') : c.hostile;
  return {
    ...c,
    hisiVfs,
    mttys,
    touchedPages,
    fault: f,
    hostile: hostile.map((s) => normalizeHostile(s, c.protocol)),
  };
}

/** A hostile step that keeps its meaning on the protocol: a saving session (PRE_COPY) only over v2. */
export function normalizeHostile(s: HostileStep, protocol: 'v1' | 'v2'): HostileStep {
  if (s.op === 'data-fd' && protocol === 'v1') return { op: 'v2-arc', state: VFIO_DEVICE_STATE_ERROR };
  return s;
}
