import { describe, expect, it } from 'vitest';
import type { RunSummary, ScenarioResult } from '../run/scenario-result.js';
import { summarize } from '../run/scenario-result.js';
import { formatJsonReport } from './json-report.js';
import { formatJUnitReport } from './junit-report.js';
import { formatTextReport } from './text-report.js';

const base = { steps: 3, ran: 3, failure: undefined, errors: [], virtualUs: 10, wallMs: 12 } as const;
const pass: ScenarioResult = { ...base, file: 's/a.yaml', name: 'a', status: 'pass' };
const fail: ScenarioResult = {
  ...base,
  file: 's/b.yaml',
  name: 'b <&>',
  status: 'fail',
  ran: 2,
  failure: {
    index: 1,
    action: 'set-state',
    label: 'set-state',
    line: 9,
    column: 5,
    mismatches: [{ field: 'state', want: 'STOP', got: 'RUNNING' }],
  },
};
const invalid: ScenarioResult = {
  ...base,
  file: 's/c.yaml',
  name: 'c.yaml',
  status: 'error',
  steps: 0,
  ran: 0,
  errors: [{ file: 's/c.yaml', line: 3, column: 7, field: 'steps[0].open.vf', message: 'must be ≥ 0' }],
};

describe('reports', () => {
  const summary: RunSummary = summarize([pass, fail, invalid], 1234);

  it('the exit status: 2 if a file is invalid (or none ran), else 1 if an expectation failed, else 0', () => {
    expect(summary.exitCode).toBe(2);
    expect(summarize([pass, fail], 1).exitCode).toBe(1);
    expect(summarize([pass], 1).exitCode).toBe(0);
    expect(summarize([], 1).exitCode).toBe(2);
  });

  it('text: PASS lines, file:line with want and got, file:line:column for invalid files, a closing count', () => {
    expect(formatTextReport(summary)).toBe(
      [
        'PASS s/a.yaml — a (3 steps)',
        'FAIL s/b.yaml:9 — b <&> (step 2 of 3)',
        '  s/b.yaml:9: set-state: state: want STOP, got RUNNING',
        'INVALID s/c.yaml',
        '  s/c.yaml:3:7: steps[0].open.vf: must be ≥ 0',
        '3 scenarios: 1 passed, 1 failed, 1 invalid; 5 steps in 1.2 s',
        '',
      ].join('\n'),
    );
  });

  it('JSON carries every result and the exit status', () => {
    const json = JSON.parse(formatJsonReport(summary));
    expect(json).toMatchObject({ exitCode: 2, scenarios: 3, passed: 1, failed: 1, invalid: 1, steps: 5 });
    expect(json.results[1].failure.mismatches[0]).toEqual({ field: 'state', want: 'STOP', got: 'RUNNING' });
  });

  it('JUnit: one testcase per file, a failure with file:line, an error for an invalid file, XML escaped', () => {
    const xml = formatJUnitReport(summary);
    expect(xml).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="vfio-sim scenarios" tests="3" failures="1" errors="1"/,
    );
    expect(xml).toContain('<testcase classname="s" name="s/a.yaml: a" file="s/a.yaml" time="0.012"/>');
    expect(xml).toContain('name="s/b.yaml: b &lt;&amp;&gt;" file="s/b.yaml" line="9"');
    expect(xml).toContain(
      '<failure type="expectation" message="s/b.yaml:9: set-state: state: want STOP, got RUNNING">',
    );
    expect(xml).toContain(
      '<error type="invalid scenario" message="s/c.yaml:3:7: steps[0].open.vf: must be ≥ 0">',
    );
    expect(xml.match(/<testcase /g)).toHaveLength(3);
  });
});
