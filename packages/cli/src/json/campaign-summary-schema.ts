import { INVARIANTS } from '@vfio-sim/campaign';
import { z } from 'zod';
import { oneOf } from './zod-enum.js';

/** The version of `vfio-sim campaign --json`'s shape, carried as its `schemaVersion`. */
export const CAMPAIGN_SUMMARY_SCHEMA_VERSION = 1;

const count = () => z.int().nonnegative();

/**
 * `vfio-sim campaign --json` (and `campaign merge --json`), as a zod schema: the source of the published
 * JSON Schema (`schema/campaign-summary.schema.json`). It is `@vfio-sim/campaign`'s `CampaignSummary`
 * with `schemaVersion` first; a test checks both ways that it is that type, and that a real campaign's
 * output validates against the published file.
 */
export const campaignSummarySchema = z
  .object({
    schemaVersion: z.literal(CAMPAIGN_SUMMARY_SCHEMA_VERSION),
    seed: count(),
    cases: count(),
    passed: count(),
    failed: count(),
    migrations: count(),
    uapi: count(),
    verdicts: z
      .record(z.string(), count())
      .describe('migrations by verdict (pass, aborted, attributed-loss, silent)'),
    refused: count().describe('hostile requests refused with an errno'),
    determinismChecked: count().describe('cases run twice, their traces compared'),
    violations: z.partialRecord(oneOf(INVARIANTS), count()).describe('broken invariants by name'),
    failures: z.array(
      z
        .object({
          index: count(),
          describe: z.string(),
          invariant: oneOf(INVARIANTS),
          step: count(),
          detail: z.string(),
        })
        .strict(),
    ),
    missingCount: count().describe('planned cases without a result (a shard that did not finish)'),
    missing: z.array(count()).describe('the first 100 of them'),
  })
  .strict()
  .meta({
    title: 'vfio-sim campaign --json',
    description:
      'The summary of `vfio-sim campaign` or `campaign merge` (@vfio-sim/cli): counts, verdicts, broken invariants and every failed case (seed:index replays it). Nothing timed: the same cases give the same summary.',
  });
