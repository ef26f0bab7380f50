// Rewrite schema/*.schema.json from the zod schemas (`pnpm --filter @vfio-sim/cli schema`).
import { writeFileSync } from 'node:fs';
import { CLI_JSON_SCHEMAS, type CliJsonSchemaPath, cliJsonSchemaText } from '../src/json/json-schemas.js';

for (const path of Object.keys(CLI_JSON_SCHEMAS) as CliJsonSchemaPath[])
  writeFileSync(new URL(`../${path}`, import.meta.url), cliJsonSchemaText(path));
