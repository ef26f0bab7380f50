import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemoryTraceSink } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { runScenarios } from './run-scenarios.js';
import type { ScenarioMigration } from './scenario-migration.js';

const LIBRARY = fileURLToPath(new URL('../../../../scenarios', import.meta.url));
const PING_PONG = join(LIBRARY, 'vm/precopy-off-slow-link.yaml');

/** The 1-based lines of a file's `- migrate:` steps. */
const migrateLines = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((l, i) => (/^\s*- migrate:/.test(l) ? [i + 1] : []));

describe('runScenarios: onMigration', () => {
  it('reports every migrate step with vmm’s report, its file:line and the scenario’s own trace', () => {
    const seen: { m: ScenarioMigration; events: number; processes: string[]; lastTs: number }[] = [];
    const summary = runScenarios([PING_PONG], {
      onMigration: (m, trace) =>
        seen.push({
          m,
          events: trace.events.length,
          processes: [...new Set(trace.namedTracks().map((t) => t.process))],
          lastTs: Math.max(...trace.events.map((e) => e.ts)),
        }),
    });
    expect(summary.exitCode).toBe(0);
    expect(seen.map((s) => s.m.step.line)).toEqual(migrateLines(PING_PONG));
    expect(seen.map((s) => [s.m.guest, s.m.report.from, s.m.report.to, s.m.report.protocol])).toEqual([
      ['g', 'a', 'b', 'v1'],
      ['g', 'b', 'a', 'v2'],
    ]);
    expect(seen.every((s) => s.m.report.result === 'PASS' && s.m.file === PING_PONG)).toBe(true);
    expect(seen[1]?.m.step.label).toBe('ping-pong back to the first host (its VF is free again)');
    // the scenario's own trace, its hosts and guest under their own names, as it stood at each migration
    expect(seen[0]?.processes).toEqual(expect.arrayContaining(['a', 'b', 'g']));
    expect(seen[1]!.events).toBeGreaterThan(seen[0]!.events);
    expect(seen[0]!.lastTs).toBeLessThan(seen[1]!.lastTs);
  });

  it('a migrate step whose expectation fails is reported too, before the run stops there', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'vfio-sim-migrations-')), 'flipped.yaml');
    copyFileSync(PING_PONG, file);
    writeFileSync(file, readFileSync(file, 'utf8').replace('guest-on: b,', 'guest-on: a,'));
    const lines: number[] = [];
    const summary = runScenarios([file], { onMigration: (m) => lines.push(m.step.line) });
    expect(summary.exitCode).toBe(1);
    expect(lines).toEqual(migrateLines(file).slice(0, 1));
  });

  it('the combined --trace is the same with or without it (each scenario is replayed into it)', () => {
    const paths = [PING_PONG, join(LIBRARY, 'vm/timed-fault.yaml')];
    const plain = new MemoryTraceSink();
    runScenarios(paths, { traceSink: plain });
    const replayed = new MemoryTraceSink();
    let calls = 0;
    runScenarios(paths, { traceSink: replayed, onMigration: () => calls++ });
    expect(calls).toBe(3);
    // every process once under its file's name (a guest driver's track is not prefixed twice)
    for (const t of plain.namedTracks()) expect(t.process).toMatch(/^[^:]+\.yaml: [^:]+$/);
    expect(replayed.namedTracks()).toEqual(plain.namedTracks());
    expect(replayed.events).toEqual(plain.events);
  });
});
