import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatResult } from '../report/text-report.js';
import { loadScenario } from './load-scenario.js';
import { runPlan } from './run-scenario.js';
import { scenarioFiles } from './scenario-files.js';

/** The repository's scenario library (`scenarios/` at the root). */
const LIBRARY = fileURLToPath(new URL('../../../../scenarios', import.meta.url));
const files = scenarioFiles([LIBRARY]);

describe('the scenario library (scenarios/)', () => {
  it('has at least 60 scenarios, in folders by what they show', () => {
    expect(files.length).toBeGreaterThanOrEqual(60);
    const folders = readdirSync(LIBRARY, { withFileTypes: true }).filter((d) => d.isDirectory());
    expect(folders.length).toBeGreaterThanOrEqual(8);
    for (const f of files) expect(relative(LIBRARY, f)).toMatch(/^[\w-]+\/[\w.-]+\.yaml$/);
  });

  it.each(files.map((f) => [relative(LIBRARY, f), f]))('%s meets every expectation', (_name, file) => {
    const loaded = loadScenario(file);
    expect(loaded.errors).toEqual([]);
    const result = runPlan(loaded.plan!);
    // on a failure the message is the runner's own report: file:line, want, got
    expect(result.status, formatResult(result)).toBe('pass');
    expect(result.ran).toBe(result.steps);
  });

  it('every file names the published schema for editors, and the path reaches it', () => {
    for (const file of files) {
      const first = readFileSync(file, 'utf8').split('\n')[0] ?? '';
      const m = /^# yaml-language-server: \$schema=(\S+)$/.exec(first);
      expect(m, file).not.toBeNull();
      expect(existsSync(join(dirname(file), m![1]!)), file).toBe(true);
    }
  });
});
