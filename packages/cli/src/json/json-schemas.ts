import { z } from 'zod';
import { campaignSummarySchema } from './campaign-summary-schema.js';
import { demoReportSchema } from './demo-report-schema.js';
import { runReportSchema } from './run-report-schema.js';

/**
 * The JSON Schemas of the CLI's `--json` outputs, as the package publishes them (draft 2020-12, made
 * from the zod schemas with `z.toJSONSchema`), by their path in the package:
 * `@vfio-sim/cli/schema/demo-report.schema.json`, `@vfio-sim/cli/schema/run-report.schema.json` and
 * `@vfio-sim/cli/schema/campaign-summary.schema.json`.
 * A test fails when a file is out of date (`pnpm --filter @vfio-sim/cli schema` rewrites them).
 */
export const CLI_JSON_SCHEMAS = {
  'schema/demo-report.schema.json': demoReportSchema,
  'schema/run-report.schema.json': runReportSchema,
  'schema/campaign-summary.schema.json': campaignSummarySchema,
} as const;

/** The path in the package of one of the published schemas. */
export type CliJsonSchemaPath = keyof typeof CLI_JSON_SCHEMAS;

/** The published JSON Schema at `path`, as the file holds it: two-space JSON with a final newline. */
export function cliJsonSchemaText(path: CliJsonSchemaPath): string {
  const schema = z.toJSONSchema(CLI_JSON_SCHEMAS[path], { target: 'draft-2020-12', io: 'output' });
  return `${JSON.stringify(schema, null, 2)}\n`;
}
