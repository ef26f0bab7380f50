import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseScenarioSource } from '../parse/scenario-source.js';
import { formatScenarioError } from './scenario-error.js';
import { validateScenario } from './validate-scenario.js';

function errorsOf(text: string) {
  const { source, errors } = parseScenarioSource(text, 's.yaml');
  expect(errors).toEqual([]);
  return validateScenario(source).errors.map(formatScenarioError);
}

describe('validateScenario', () => {
  it('accepts a valid scenario and gives back its data', () => {
    const { source } = parseScenarioSource(
      'name: n\nhosts: { a: {} }\nsteps:\n  - open: { host: a }\n  - set-state: STOP\n    expect: EINVAL\n',
      's.yaml',
    );
    const r = validateScenario(source);
    expect(r.errors).toEqual([]);
    expect(r.scenario?.steps).toEqual([{ open: { host: 'a' } }, { 'set-state': 'STOP', expect: 'EINVAL' }]);
  });

  it('reports each problem at file:line:column with its field — the branch of the step’s own action', () => {
    expect(
      errorsOf(`name: t
hosts:
  a: { kind: zipp }
steps:
  - set-state: RUNNIN
  - read-data: { count: -1, x: 2 }
  - open: {}
    expect: { state: FOO }
  - migrate: { to: a, faults: [{ kind: mb-err, at: stop }] }
`),
    ).toEqual([
      's.yaml:3:14: hosts.a.kind: expected one of "zip", "sec", "hpre"',
      expect.stringMatching(
        /^s\.yaml:5:16: steps\[0\]\.set-state: expected one of "ERROR", .*, or number, or a mapping; got "RUNNIN"$/,
      ),
      's.yaml:6:25: steps[1].read-data.count: must be ≥ 0',
      's.yaml:6:29: steps[1].read-data.x: unknown key "x"',
      expect.stringMatching(/^s\.yaml:8:22: steps\[2\]\.expect\.state: expected one of "ERROR", /),
      expect.stringMatching(
        /^s\.yaml:9:40: steps\[3\]\.migrate\.faults\[0\]\.kind: expected one of "mb-stuck-busy", /,
      ),
    ]);
  });

  it('a step without an action, with two, or with a misspelt one says so', () => {
    expect(
      errorsOf(
        'name: t\nhosts: { a: {} }\nsteps:\n  - {}\n  - reset: null\n    close: null\n  - set-stat: RUNNING\n',
      ),
    ).toEqual([
      expect.stringMatching(/^s\.yaml:4:5: steps\[0\]: a step needs one action: open, close, /),
      's.yaml:5:5: steps[1]: a step has one action, not reset and close',
      's.yaml:7:5: steps[2].set-stat: unknown action "set-stat" (did you mean set-state or get-state?)',
    ]);
  });

  it('required fields and wrong types', () => {
    expect(errorsOf('hosts: []\nsteps: []\n')).toEqual([
      's.yaml:1:1: name: required',
      's.yaml:1:8: hosts: expected a mapping, got a list',
      's.yaml:2:8: steps: must be ≥ 1 items',
    ]);
  });

  /** A random valid step, as the schema spells it. */
  const validStep = fc.oneof(
    fc.record({ 'set-state': fc.constantFrom('RUNNING', 'STOP', 'PRE_COPY', 'STOP_COPY', 'RESUMING') }),
    fc.record({ 'read-data': fc.oneof(fc.constant('eof'), fc.nat(4096)) }),
    fc.record({ pread: fc.record({ region: fc.constantFrom('bar2', 'migration'), offset: fc.nat(0xffff) }) }),
    fc.record({ run: fc.nat(10_000) }),
    fc.record({ 'get-dirty-bitmap': fc.record({ length: fc.nat(1 << 20), 'no-clear': fc.boolean() }) }),
    fc.record({
      'v1-set-state': fc.constantFrom('running', 'stop', 'pre-copy', 'stop-and-copy', 'resuming'),
    }),
  );

  test.prop([
    fc.array(validStep, { minLength: 1, maxLength: 12 }),
    fc.nat(),
    fc.string({ minLength: 1, maxLength: 6 }),
  ])('an unknown key put into any step is reported at that key’s line and column', (steps, pick, junk) => {
    const key = `x${junk.replace(/[^a-z]/gi, 'k')}`;
    const i = pick % steps.length;
    const doc = {
      name: 'p',
      hosts: { a: {} },
      steps: steps.map((s, j) => (j === i ? { ...s, [key]: 1 } : s)),
    };
    const text = stringify(doc);
    const { source } = parseScenarioSource(text, 'p.yaml');
    const errors = validateScenario(source).errors;
    expect(errors).toHaveLength(1);
    const lines = text.split('\n');
    const line = lines.findIndex((l) => l.includes(`${key}: 1`)) + 1;
    expect(errors[0]).toMatchObject({
      line,
      column: lines[line - 1]!.indexOf(key) + 1,
      field: `steps[${i}].${key}`,
    });
  });
});
