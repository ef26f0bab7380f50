// Rewrite schema/scenario.schema.json from the zod schema (`pnpm --filter @vfio-sim/scenario schema`).
import { writeFileSync } from 'node:fs';
import { SCENARIO_SCHEMA_PATH, scenarioJsonSchemaText } from '../src/schema/json-schema.js';

writeFileSync(new URL(`../${SCENARIO_SCHEMA_PATH}`, import.meta.url), scenarioJsonSchemaText());
