import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CampaignSummary } from '@vfio-sim/campaign';
import type { JsonRunReport } from '@vfio-sim/scenario';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import { runCli } from '../cli/__fixtures__/run-cli.js';
import type { DemoReport } from '../demo/demo.js';
import type { campaignSummarySchema } from './campaign-summary-schema.js';
import type { demoReportSchema } from './demo-report-schema.js';
import { CLI_JSON_SCHEMAS, type CliJsonSchemaPath, cliJsonSchemaText } from './json-schemas.js';
import type { runReportSchema } from './run-report-schema.js';

const PACKAGE = fileURLToPath(new URL('../..', import.meta.url));
const LIBRARY = fileURLToPath(new URL('../../../../scenarios', import.meta.url));

/**
 * A type as it reads back from JSON: no `readonly`, and a property that may be `undefined` is one that
 * may be missing (JSON.stringify drops it).
 */
type Json<T> = T extends readonly (infer E)[]
  ? Json<E>[]
  : T extends object
    ? { -readonly [K in keyof T as undefined extends T[K] ? never : K]: Json<T[K]> } & {
        -readonly [K in keyof T as undefined extends T[K] ? K : never]?: Json<Exclude<T[K], undefined>>;
      }
    : T;

/** The published file, validated as a consumer would: ajv, JSON Schema draft 2020-12. */
function validator(path: CliJsonSchemaPath) {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  return ajv.compile(JSON.parse(readFileSync(join(PACKAGE, path), 'utf8')));
}

describe('the published JSON Schemas', () => {
  it.each(Object.keys(CLI_JSON_SCHEMAS) as CliJsonSchemaPath[])(
    '%s is up to date with its zod schema (pnpm --filter @vfio-sim/cli schema)',
    (path) => {
      expect(readFileSync(join(PACKAGE, path), 'utf8')).toBe(cliJsonSchemaText(path));
    },
  );

  it('the zod schemas are the output types, field for field', () => {
    expectTypeOf<Json<z.output<typeof demoReportSchema>>>().toEqualTypeOf<Json<DemoReport>>();
    expectTypeOf<Json<z.output<typeof runReportSchema>>>().toEqualTypeOf<
      Json<{ schemaVersion: 1 } & JsonRunReport>
    >();
    expectTypeOf<Json<z.output<typeof campaignSummarySchema>>>().toEqualTypeOf<
      Json<{ schemaVersion: 1 } & CampaignSummary>
    >();
  });

  it('a real `campaign --json` validates against schema/campaign-summary.schema.json', async () => {
    const r = await runCli(['campaign', '--cases', '12', '--seed', '3', '--workers', '0', '--json']);
    expect(r.exitCode).toBe(0);
    const summary = JSON.parse(r.stdout);
    const validate = validator('schema/campaign-summary.schema.json');
    expect(validate(summary), JSON.stringify(validate.errors)).toBe(true);
    expect(summary).toMatchObject({ schemaVersion: 1, seed: 3, cases: 12 });
    expect(validate({ ...summary, schemaVersion: 2 })).toBe(false);
    expect(validate({ ...summary, violations: { 'no-such-invariant': 1 } })).toBe(false);
    const { failures: _failures, ...missing } = summary;
    expect(validate(missing)).toBe(false);
  });

  it('a real `demo --json` validates against schema/demo-report.schema.json (v1 and v2, both RAM modes)', async () => {
    const validate = validator('schema/demo-report.schema.json');
    for (const argv of [
      ['--protocol', 'v1', '--jobs', '4'],
      ['--protocol', 'v2', '--precopy', 'off', '--kind', 'hpre', '--jobs', '4'],
    ]) {
      const r = await runCli(['demo', '--json', ...argv]);
      const report = JSON.parse(r.stdout);
      expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
      expect(report.schemaVersion).toBe(1);
      // and what is not the shape is refused: a field too many, one missing, a wrong version
      expect(validate({ ...report, extra: 1 })).toBe(false);
      const { jobs: _jobs, ...missing } = report;
      expect(validate(missing)).toBe(false);
      expect(validate({ ...report, schemaVersion: 2 })).toBe(false);
    }
  });

  it('a real `run --json` validates against schema/run-report.schema.json (pass, fail and invalid files)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vfio-sim-schema-'));
    copyFileSync(join(LIBRARY, 'bar2/region-info.yaml'), join(dir, 'pass.yaml'));
    const text = readFileSync(join(LIBRARY, 'bar2/region-info.yaml'), 'utf8');
    writeFileSync(join(dir, 'fail.yaml'), text.replace('expect: { size: 0x8000', 'expect: { size: 0x10000'));
    writeFileSync(join(dir, 'invalid.yaml'), text.replace('region-info: bar2', 'region-info: bar9'));
    const r = await runCli(['run', '--json', dir]);
    expect(r.exitCode).toBe(2);
    const report = JSON.parse(r.stdout);
    expect(report.results.map((x: { status: string }) => x.status)).toEqual(['fail', 'error', 'pass']);
    const validate = validator('schema/run-report.schema.json');
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...report, schemaVersion: undefined })).toBe(false);
    expect(validate({ ...report, results: [{ ...report.results[0], status: 'skipped' }] })).toBe(false);
  });
});
