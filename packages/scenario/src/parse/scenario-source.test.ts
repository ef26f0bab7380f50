import { describe, expect, it } from 'vitest';
import { parseScenarioSource, positionOf } from './scenario-source.js';

const TEXT = `name: t
hosts:
  source: { kind: zip }
steps:
  - open: { host: source }
  - set-state: PRE_COPY
    expect: { state: PRE_COPY, bytes: 0x10 }
`;

describe('parseScenarioSource', () => {
  it('keeps the data (YAML 1.2 core: 0x10 is a number) and the source positions', () => {
    const { source, errors } = parseScenarioSource(TEXT, 'a.yaml');
    expect(errors).toEqual([]);
    expect(source.value).toMatchObject({ steps: [{ open: { host: 'source' } }, { expect: { bytes: 16 } }] });
    expect(positionOf(source, ['steps', 1])).toEqual({ line: 6, column: 5 });
    expect(positionOf(source, ['steps', 1, 'set-state'])).toEqual({ line: 6, column: 16 });
    expect(positionOf(source, ['steps', 1, 'expect', 'bytes'])).toEqual({ line: 7, column: 39 });
    expect(positionOf(source, ['hosts', 'source', 'kind'])).toEqual({ line: 3, column: 19 });
  });

  it('a path the data does not have points at the closest node that exists; a key at the key', () => {
    const { source } = parseScenarioSource(TEXT, 'a.yaml');
    expect(positionOf(source, ['steps', 0, 'open', 'vf'])).toEqual({ line: 5, column: 11 });
    expect(positionOf(source, ['steps', 1], 'expect')).toEqual({ line: 7, column: 5 });
    expect(positionOf(source, ['steps', 9])).toEqual({ line: 5, column: 3 });
  });

  it('reports YAML syntax errors and duplicate keys at their line and column, with no value', () => {
    const bad = parseScenarioSource('name: t\nsteps: [1, 2\nx: 1\n', 'b.yaml');
    expect(bad.source.value).toBeUndefined();
    expect(bad.errors[0]).toMatchObject({ file: 'b.yaml', line: expect.any(Number), field: '' });
    const dup = parseScenarioSource('name: t\nname: u\n', 'c.yaml');
    expect(dup.errors).toHaveLength(1);
    expect(dup.errors[0]).toMatchObject({ line: 2, column: 1, message: expect.stringMatching(/unique/) });
  });
});
