import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SCENARIO_SCHEMA_PATH, scenarioJsonSchema, scenarioJsonSchemaText } from './json-schema.js';
import { ACTION_NAMES } from './steps.js';

const PUBLISHED = new URL(`../../${SCENARIO_SCHEMA_PATH}`, import.meta.url);

describe('the published JSON Schema', () => {
  it('is up to date with the zod schema (run `pnpm --filter @vfio-sim/scenario schema` after a change)', () => {
    expect(readFileSync(PUBLISHED, 'utf8')).toBe(scenarioJsonSchemaText());
  });

  it('describes every action as a step with one required key, an expectation and a label', () => {
    const schema = scenarioJsonSchema() as {
      properties: {
        steps: { items: { anyOf: { required: string[]; properties: Record<string, unknown> }[] } };
      };
      $defs: Record<string, unknown>;
    };
    const branches = schema.properties.steps.items.anyOf;
    expect(branches.map((b) => b.required)).toEqual(ACTION_NAMES.map((a) => [a]));
    for (const b of branches) expect(Object.keys(b.properties)).toEqual([b.required[0], 'expect', 'label']);
    expect(Object.keys(schema.$defs)).toEqual(
      expect.arrayContaining(['expectation', 'host', 'v2-state', 'device']),
    );
  });
});
