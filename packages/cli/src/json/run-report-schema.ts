import { ACTION_NAMES } from '@vfio-sim/scenario';
import { z } from 'zod';
import { oneOf } from './zod-enum.js';

/** The version of `vfio-sim run --json`'s shape, carried as its `schemaVersion`. */
export const RUN_REPORT_SCHEMA_VERSION = 1;

const count = () => z.int().nonnegative();
const position = { line: z.int().positive(), column: z.int().positive() };

/**
 * `vfio-sim run --json`, as a zod schema: the source of the published JSON Schema
 * (`schema/run-report.schema.json`). It is `@vfio-sim/scenario`'s `jsonReport` with `schemaVersion`
 * first; a test checks both ways that it is that type, and that a real run's output validates against
 * the published file.
 */
export const runReportSchema = z
  .object({
    schemaVersion: z.literal(RUN_REPORT_SCHEMA_VERSION),
    exitCode: z.union([z.literal(0), z.literal(1), z.literal(2)]),
    scenarios: count(),
    passed: count(),
    failed: count(),
    invalid: count(),
    steps: count(),
    wallMs: count().describe('wall-clock milliseconds, rounded: a figure, never compared'),
    results: z.array(
      z
        .object({
          file: z.string(),
          name: z.string(),
          status: z.enum(['pass', 'fail', 'error']),
          steps: count(),
          ran: count(),
          failure: z
            .object({
              index: count(),
              action: oneOf(ACTION_NAMES),
              label: z.string(),
              ...position,
              mismatches: z.array(
                z.object({ field: z.string(), want: z.string(), got: z.string() }).strict(),
              ),
            })
            .strict()
            .optional(),
          errors: z.array(
            z.object({ file: z.string(), ...position, field: z.string(), message: z.string() }).strict(),
          ),
          virtualUs: z.number().nonnegative(),
          wallMs: count(),
        })
        .strict(),
    ),
  })
  .strict()
  .meta({
    title: 'vfio-sim run --json',
    description:
      'The results of `vfio-sim run` (@vfio-sim/cli): every scenario file with its status, the failing step (file:line, want and got) or the file’s errors. exitCode: 0 every expectation met, 1 one failed, 2 an invalid file.',
  });
