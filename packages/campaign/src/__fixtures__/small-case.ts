/**
 * Test and benchmark scaffolding (not part of the package API): the small cases the tests and the
 * benchmarks run by hand.
 */
import type { MigrationCase, UapiCase } from '../case/campaign-case.js';

/** A full live-migration case: a small guest (9 MiB), one ZIP VF, 2 jobs and a stream of 2, no fault. */
export function smallMigrationCase(over: Partial<MigrationCase> = {}): MigrationCase {
  return {
    kind: 'migration',
    accel: 'zip',
    iommu: 'arm-smmuv3-s1',
    protocol: 'v2',
    hisiVfs: 1,
    mttys: 0,
    extraMiB: 0,
    touchedPages: 0,
    jobs: 2,
    periodUs: 20,
    limit: 2,
    workloadSeed: 1,
    runUs: 50,
    precopy: true,
    bytesPerUs: 1250,
    fault: null,
    hostile: [],
    jobsAfter: 1,
    ...over,
  };
}

/** A uAPI-only case: an open ZIP VF and four hostile requests, each refused. */
export const FOUR_REFUSED_REQUESTS: UapiCase = {
  kind: 'uapi',
  accel: 'zip',
  iommu: 'arm-smmuv3-s1',
  protocol: 'v2',
  steps: [
    { op: 'v2-arc', state: 0 },
    { op: 'feature', feature: 2, access: 'set', argsz: 9 },
    { op: 'region', access: 'read', region: 2, offset: 0x8000 },
    { op: 'region', access: 'info', region: 33, offset: 0 },
  ],
};
