import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatTextReport } from '../report/text-report.js';
import { runScenarios } from './run-scenarios.js';

const SCENARIO = fileURLToPath(
  new URL('../../../../scenarios/v2-arcs/running-precopy-stopcopy-stop.yaml', import.meta.url),
);

describe('the runner can fail', () => {
  it('a copy of a library scenario with one expectation flipped exits 1 at that step’s file:line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scenario-flip-'));
    const copy = join(dir, 'flipped.yaml');
    copyFileSync(SCENARIO, copy);
    expect(runScenarios([copy]).exitCode).toBe(0);

    const lines = readFileSync(copy, 'utf8').split('\n');
    const at = lines.findIndex((l) => l.includes('expect: { bytes: 136 }'));
    expect(at).toBeGreaterThan(0);
    lines[at] = lines[at]!.replace('bytes: 136', 'bytes: 135');
    writeFileSync(copy, lines.join('\n'));

    const summary = runScenarios([copy]);
    expect(summary.exitCode).toBe(1);
    const failure = summary.results[0]!.failure!;
    // the step is the line above its expect:, where `- read-data:` starts
    expect(failure.line).toBe(at);
    expect(lines[failure.line - 1]).toMatch(/^ {2}- read-data:/);
    expect(failure.mismatches).toEqual([{ field: 'bytes', want: '135', got: '136' }]);
    expect(formatTextReport(summary)).toContain(`${copy}:${at}: read-data: bytes: want 135, got 136`);
  });

  it('an invalid copy exits 2 with file:line:column and the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scenario-flip-'));
    const copy = join(dir, 'invalid.yaml');
    const text = readFileSync(SCENARIO, 'utf8').replace('state: PRE_COPY }', 'state: PRE_COPYY }');
    writeFileSync(copy, text);
    const summary = runScenarios([copy]);
    expect(summary.exitCode).toBe(2);
    const e = summary.results[0]!.errors[0]!;
    const line = text.split('\n').findIndex((l) => l.includes('PRE_COPYY')) + 1;
    expect(e).toMatchObject({
      file: copy,
      line,
      field: expect.stringMatching(/^steps\[\d+\]\.set-state\.state$/),
    });
    expect(e.column).toBe(text.split('\n')[line - 1]!.indexOf('PRE_COPYY') + 1);
  });
});
