import { z } from 'zod';
import { scenarioSchema } from './scenario.js';

/** Where the published schema lives in the package (and what `$schema` in a scenario may name). */
export const SCENARIO_SCHEMA_PATH = 'schema/scenario.schema.json';

/**
 * The published JSON Schema of a scenario file (draft 2020-12), generated from the zod schema with
 * `z.toJSONSchema`: editors (yaml-language-server, VS Code) complete and check scenarios with it. The
 * package ships it as `@vfio-sim/scenario/schema/scenario.schema.json`; a test fails when the file is out
 * of date (`pnpm --filter @vfio-sim/scenario schema` rewrites it).
 */
export function scenarioJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(scenarioSchema, { target: 'draft-2020-12', io: 'input' }) as Record<string, unknown>;
}

/** The schema as the file holds it: two-space JSON with a final newline. */
export function scenarioJsonSchemaText(): string {
  return `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`;
}
