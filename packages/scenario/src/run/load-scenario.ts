import { parseScenarioSource } from '../parse/scenario-source.js';
import type { Plan } from '../plan/plan.js';
import { planScenario } from '../plan/plan-scenario.js';
import type { ScenarioError } from '../validate/scenario-error.js';
import { validateScenario } from '../validate/validate-scenario.js';
import { readScenarioText } from './read-file.js';

/**
 * A scenario file through every check before it runs: YAML (with positions) → the schema → the plan
 * (references, defaults, expectations a step can observe). Either the plan, or every problem found at the
 * first stage that had any, each at its file:line:column.
 * @param text the file's contents (default: read from `file`)
 */
export function loadScenario(
  file: string,
  text?: string,
): { plan: Plan; errors: [] } | { plan: undefined; errors: ScenarioError[] } {
  let contents = text;
  if (contents === undefined) {
    try {
      contents = readScenarioText(file);
    } catch (e) {
      const code =
        (e as { code?: string; errno?: string }).code ?? (e as { errno?: string }).errno ?? 'error';
      return {
        plan: undefined,
        errors: [{ file, line: 1, column: 1, field: '', message: `cannot read the file (${code})` }],
      };
    }
  }
  const parsed = parseScenarioSource(contents, file);
  if (parsed.errors.length > 0) return { plan: undefined, errors: parsed.errors };
  const valid = validateScenario(parsed.source);
  if (valid.scenario === undefined) return { plan: undefined, errors: valid.errors };
  return planScenario(valid.scenario, parsed.source);
}
