import { describe, expect, it } from 'vitest';
import { planDocument } from '../plan/plan-document.js';
import { loadScenario } from '../run/load-scenario.js';
import { runPlan } from '../run/run-scenario.js';
import type { ScenarioDocument } from '../schema/scenario.js';
import { scenarioSchema } from '../schema/scenario.js';
import { formatScenario } from './format-scenario.js';

const doc: ScenarioDocument = {
  name: 'a document built in code',
  seed: 7,
  hosts: { source: { kind: 'sec', vfs: 1 }, destination: { kind: 'sec', vfs: 1 } },
  steps: [
    { boot: { guest: 'g', host: 'source', memory: 16 << 20 } },
    { workload: { guest: 'g', jobs: 3, 'period-us': 20, limit: 4, seed: 9 } },
    { run: 40 },
    { 'set-state': { device: 'g/0', state: 'ERROR' }, expect: { errno: 'EINVAL', unchanged: true } },
    {
      migrate: {
        guest: 'g',
        to: 'destination',
        protocol: 'v2',
        'jobs-after': 1,
        faults: [{ kind: 'mb-error', side: 'source', target: 'vf', at: 'stop' }],
      },
      expect: { verdict: ['aborted', 'attributed-loss'], jobs: { unattributed: [] } },
      label: 'a mailbox error at the stop',
    },
  ],
};

/** A plan without its file positions (what the executor acts on). */
const acts = (steps: readonly { action: string; args: unknown; expect: unknown; label: string }[]) =>
  steps.map(({ action, args, expect, label }) => ({ action, args, expect, label }));

describe('formatScenario and planDocument', () => {
  it('the text reads back as the same document, and plans as the document does', () => {
    expect(scenarioSchema.parse(doc)).toEqual(doc);
    const text = formatScenario(doc, { comment: 'line one\nline two', schema: 'x.schema.json' });
    expect(text.split('\n').slice(0, 3)).toEqual([
      '# yaml-language-server: $schema=x.schema.json',
      '# line one',
      '# line two',
    ]);
    expect(text).toContain('  - boot: { guest: g, host: source, memory: 16777216 }');
    const loaded = loadScenario('doc.yaml', text);
    expect(loaded.errors).toEqual([]);
    const direct = planDocument(doc, 'doc.yaml');
    expect(direct.errors).toEqual([]);
    expect(acts(loaded.plan!.steps)).toEqual(acts(direct.plan!.steps));
    expect(loaded.plan!.hosts).toEqual(direct.plan!.hosts);
    expect(runPlan(direct.plan!)).toMatchObject({ status: 'pass', ran: 5 });
  });

  it('planDocument reports a bad reference as planScenario does (at line 1)', () => {
    const bad = { ...doc, steps: [{ run: 1 }, { tally: 'nobody' }] } as ScenarioDocument;
    const r = planDocument(bad, 'doc.yaml');
    expect(r.errors).toEqual([
      expect.objectContaining({ file: 'doc.yaml', line: 1, message: expect.stringMatching(/nobody/) }),
    ]);
  });
});
