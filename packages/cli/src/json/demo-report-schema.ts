import { IO_PGTABLE_FORMATS, type IoPgtableFormatName } from '@vfio-sim/iommufd';
import { ERRNO, type ErrnoName } from '@vfio-sim/platform';
import type { QmKind } from '@vfio-sim/qm-hw';
import { ACCEL_KINDS, type JobLossKind, MIGRATION_PHASES, MIGRATION_PROTOCOLS } from '@vfio-sim/vmm';
import { z } from 'zod';
import { DEMO_REPORT_SCHEMA_VERSION } from '../demo/demo.js';
import { oneOf } from './zod-enum.js';

const count = () => z.int().nonnegative();
const us = () => z.number().nonnegative().describe('virtual time, µs');

const JOB_LOSS_KINDS: readonly JobLossKind[] = [
  'hardware-error',
  'device-reset-by-vmm',
  'device-reset-by-host',
  'loaded-not-started',
];

const ramRound = z
  .object({
    round: count(),
    stopped: z.boolean(),
    startUs: us(),
    durationUs: us(),
    pagesSent: count(),
    cpuDirtyPages: count(),
    dmaDirtyPages: count(),
    bothDirtyPages: count(),
    remainingPages: count(),
    expectedDowntimeUs: us(),
  })
  .strict();

const jobLoss = z
  .object({
    jobId: count(),
    side: z.enum(['source', 'destination']),
    cause: z
      .object({
        kind: oneOf(JOB_LOSS_KINDS),
        detail: z.string(),
        errno: oneOf(Object.keys(ERRNO) as ErrnoName[]).nullable(),
        atUs: us(),
        upstream: z.string(),
      })
      .strict(),
  })
  .strict();

/**
 * `vfio-sim demo --json`, as a zod schema: the source of the published JSON Schema
 * (`schema/demo-report.schema.json`, written by `cliJsonSchemaText`). Every object is strict (no field the
 * type does not have); a test checks both ways that it is the `DemoReport` type, and that a real run's
 * output validates against the published file.
 */
export const demoReportSchema = z
  .object({
    schemaVersion: z.literal(DEMO_REPORT_SCHEMA_VERSION),
    seed: z.int().min(0).max(0xffff_ffff),
    result: z.enum(['PASS', 'FAIL']),
    failures: z.array(z.string()),
    iommu: oneOf(Object.keys(IO_PGTABLE_FORMATS) as IoPgtableFormatName[]),
    protocol: oneOf(MIGRATION_PROTOCOLS),
    kind: oneOf(ACCEL_KINDS as readonly QmKind[]),
    v2: z
      .object({
        switchoverAck: z.boolean(),
        switchoverApprovedUs: us().nullable(),
        stopCopySize: count(),
        lastPending: z.object({ bytes: count(), expectedDowntimeUs: us() }).strict().nullable(),
        destinationStartPath: z.array(z.string()),
        precopyDeviceBytes: count(),
        stopCopyDeviceBytes: count(),
      })
      .strict()
      .nullable(),
    ram: z
      .object({
        mode: z.enum(['precopy', 'stop-and-copy']),
        downtimeLimitUs: us(),
        maxRounds: count(),
        rounds: z.array(ramRound),
        converged: z.boolean(),
        precopyBytes: count(),
        stoppedBytes: count(),
        check: z.object({ pagesCompared: count(), mismatchedPages: count() }).strict(),
      })
      .strict(),
    comparison: z
      .object({
        mode: z.enum(['precopy', 'stop-and-copy']),
        result: z.enum(['PASS', 'FAIL']),
        downtimeUs: us(),
        totalUs: us(),
        stoppedBytes: count(),
      })
      .strict(),
    downtimeRatio: z.number().nonnegative(),
    otherProtocol: z
      .object({
        protocol: oneOf(MIGRATION_PROTOCOLS),
        result: z.enum(['PASS', 'FAIL']),
        downtimeUs: us(),
        totalUs: us(),
      })
      .strict(),
    states: z.object({ source: z.array(z.string()), destination: z.array(z.string()) }).strict(),
    bytes: z
      .object({
        deviceState: z.object({ saved: count(), loaded: count(), stream: count() }).strict(),
        guestMemory: z.object({ pages: count(), bytes: count() }).strict(),
      })
      .strict(),
    virtualTimeUs: z
      .object({
        phases: z.array(
          z
            .object({
              name: oneOf(MIGRATION_PHASES),
              us: us(),
              deviceBytes: count(),
              guestMemoryBytes: count(),
            })
            .strict(),
        ),
        downtime: us(),
        total: us(),
      })
      .strict(),
    linkBytesPerUs: z.number().positive(),
    precopyIterations: count(),
    pendingIrqsMoved: count(),
    jobs: z
      .object({
        submitted: count(),
        submittedOnSource: count(),
        submittedOnDestination: count(),
        completedBeforeMigration: count(),
        submittedDuringMigration: count(),
        inFlightAtStop: count(),
        completedOnSource: count(),
        completedOnDestination: count(),
        verified: count(),
        lost: count(),
        losses: z.array(jobLoss),
        unattributed: z.array(count()),
        engine: z.string(),
        reference: z.string(),
      })
      .strict(),
    layers: z.array(
      z.object({ name: z.string(), exports: count(), built: z.boolean(), usedByDemo: z.boolean() }).strict(),
    ),
  })
  .strict()
  .meta({
    title: 'vfio-sim demo --json',
    description:
      'The summary of `vfio-sim demo` (@vfio-sim/cli): a live migration of a guest with a HiSilicon accelerator VF between two simulated hosts, and the same seed with the other RAM mode and the other protocol. Times are µs of virtual time; sizes are bytes or 4 KiB pages.',
  });
