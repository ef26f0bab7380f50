import { parseScenarioSource, type ScenarioSource } from '../parse/scenario-source.js';
import type { ScenarioDocument } from '../schema/scenario.js';
import type { ScenarioError } from '../validate/scenario-error.js';
import type { Plan } from './plan.js';
import { planScenario } from './plan-scenario.js';

/** An empty source: every position is line 1, column 1. */
const NOWHERE = new Map<string, ScenarioSource>();

/**
 * Plan a scenario document built in code rather than read from a file (a generated case, say): the
 * same planning as {@link planScenario} — defaults, references, expectations a step can observe — with
 * every position at line 1. The document is not checked against the schema here (that is what makes it
 * cheap): build it as the schema accepts it, and check generated ones with `scenarioSchema` in a test.
 */
export function planDocument(
  doc: ScenarioDocument,
  file: string,
): { plan: Plan; errors: [] } | { plan: undefined; errors: ScenarioError[] } {
  let source = NOWHERE.get(file);
  if (source === undefined) {
    source = parseScenarioSource('', file).source;
    NOWHERE.set(file, source);
  }
  return planScenario(doc, source);
}
