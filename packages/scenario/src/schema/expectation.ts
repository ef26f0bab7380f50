import { z } from 'zod';
import {
  bitmapRuns,
  errnoOrOk,
  hexBytes,
  JOB_LOSS_KINDS,
  MIGRATE_VERDICTS,
  MIGRATION_FLAGS,
  migrationPhase,
  REGION_FLAGS,
  uint,
  v1State,
  v2State,
} from './values.js';

/** Flags expected: a number, or flag names (all of them set, no other). */
function flagsOf(names: Readonly<Record<string, number>>, what: string) {
  return z
    .union([uint, z.array(z.enum(Object.keys(names) as [string, ...string[]]))])
    .meta({ description: `${what}: a number, or the names of every flag set` });
}

/** Job ids expected: the exact list (ascending), or just how many. */
const jobIds = z
  .union([z.array(uint), uint])
  .meta({ description: 'the job ids, ascending ([] for none), or just how many' });

/** Lost jobs by cause: how many in all, or every cause kind that occurred with its jobs (`{}`: none). */
const lossesExpectation = z
  .union([
    uint,
    z.partialRecord(z.enum(JOB_LOSS_KINDS), jobIds).meta({
      description:
        'each cause kind that occurred, with its job ids or how many; a kind not named did not occur',
    }),
  ])
  .meta({
    id: 'losses-expectation',
    description:
      'the jobs lost with a cause: how many, or by cause kind (hardware-error, device-reset-by-vmm, device-reset-by-host, loaded-not-started)',
  });

/** The exactly-once tally of a guest's jobs (vmm's `WorkloadTally`); `verified: all` = every job submitted. */
export const jobsExpectation = z
  .strictObject({
    submitted: uint.optional(),
    verified: z.union([z.literal('all'), uint]).optional(),
    lost: jobIds.optional(),
    unattributed: jobIds
      .optional()
      .meta({ description: 'jobs never completed with no cause: lost silently (a bug)' }),
    losses: lossesExpectation.optional(),
    duplicated: jobIds.optional(),
    corrupt: jobIds.optional(),
    unknown: jobIds.optional(),
    'submitted-on-destination': uint.optional(),
    'completed-on-source': uint.optional(),
    'completed-on-destination': uint.optional(),
    outstanding: uint.optional(),
  })
  .meta({
    id: 'jobs-expectation',
    description: "the guest's jobs: each verified exactly once, or lost / duplicated / corrupt (their ids)",
  });

/** A migration's error: none, or the errno at a phase. */
export const migrationErrorExpectation = z
  .union([
    z.literal('none'),
    z.strictObject({
      errno: errnoOrOk.exclude(['ok']),
      phase: migrationPhase.optional(),
      message: z.string().optional(),
    }),
  ])
  .meta({
    id: 'migration-error',
    description: 'none, or { errno, phase, message }: where the migration failed',
  });

/**
 * What a step is expected to do. Every field is optional; a step checks only the fields given (and
 * `errno` is `ok` unless given). Which fields a step can observe depends on the step: a field it cannot
 * observe is a scenario error.
 */
export const expectationObject = z
  .strictObject({
    errno: errnoOrOk.optional(),
    message: z.string().optional().meta({ description: "text the error's message contains" }),
    state: v2State
      .optional()
      .meta({ description: 'the v2 device_state after the step (MIG_DEVICE_STATE GET)' }),
    'v1-state': v1State
      .optional()
      .meta({ description: "the v1 region's device_state after the step (its masked value's name)" }),
    'data-fd': z
      .enum(['opened', 'none'])
      .optional()
      .meta({ description: 'whether MIG_DEVICE_STATE SET returned a new data fd' }),
    bytes: uint.optional().meta({ description: 'bytes the step moved (read, written, returned, unmapped)' }),
    data: hexBytes.optional().meta({ description: 'the exact bytes read' }),
    value: uint.optional().meta({ description: 'the value read (little-endian)' }),
    size: uint.optional().meta({ description: "the region's size (GET_REGION_INFO)" }),
    flags: z
      .union([flagsOf(REGION_FLAGS, 'region flags'), flagsOf(MIGRATION_FLAGS, 'migration flags')])
      .optional()
      .meta({
        description: 'region flags (READ, WRITE, MMAP, CAPS) or migration flags (STOP_COPY, P2P, PRE_COPY)',
      }),
    'initial-bytes': uint.optional(),
    'dirty-bytes': uint.optional(),
    'stop-copy-length': uint.optional(),
    payload: hexBytes.optional().meta({ description: 'the feature payload after the call' }),
    iova: uint.optional(),
    'page-size': uint.optional(),
    'dirty-tracking': z.boolean().optional().meta({ description: 'IOMMU_HW_CAP_DIRTY_TRACKING reported' }),
    bitmap: bitmapRuns.optional(),
    unchanged: z.literal(true).optional().meta({
      description: 'nothing changed: the device, its data fds, the IOAS and the hardware as before',
    }),
    // VM level
    result: z.enum(['PASS', 'FAIL']).optional(),
    outcome: z.enum(['migrated', 'aborted']).optional(),
    verdict: z
      .union([z.enum(MIGRATE_VERDICTS), z.array(z.enum(MIGRATE_VERDICTS)).min(1)])
      .optional()
      .meta({
        description:
          "the migration's verdict (pass, aborted, attributed-loss, silent), or a list: any one of them",
      }),
    error: migrationErrorExpectation.optional(),
    'guest-on': z.string().optional().meta({ description: 'the host the guest runs on after the step' }),
    jobs: jobsExpectation.optional(),
    'ram-identical': z.boolean().optional(),
    'source-states': z
      .array(v2State.or(v1State))
      .optional()
      .meta({ description: 'the device states the source walked (device 0), by name' }),
    'destination-states': z.array(v2State.or(v1State)).optional(),
    'faults-injected': uint.optional(),
  })
  .meta({
    id: 'expectation-object',
    description: 'what the step must do; unnamed fields are not checked (errno defaults to ok)',
  });

/** `expect:` — the object, or an errno name (`expect: EINVAL`, `expect: ok`). */
export const expectation = z.union([errnoOrOk, expectationObject]).meta({
  id: 'expectation',
  description: 'ok, an errno name, or { errno, state, bytes, data, bitmap, unchanged, … }',
});
