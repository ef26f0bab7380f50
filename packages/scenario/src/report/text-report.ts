import type { RunSummary, ScenarioResult } from '../run/scenario-result.js';
import { formatScenarioError } from '../validate/scenario-error.js';

/**
 * One scenario's lines: `PASS file (N steps)`, or `FAIL file:line` with one line per unmet expectation
 * (`file:line: step: field: want …, got …`), or `INVALID file` with one `file:line:column: field: message`
 * line per error.
 */
export function formatResult(r: ScenarioResult): string {
  if (r.status === 'pass') return `PASS ${r.file} — ${r.name} (${r.ran} steps)\n`;
  if (r.status === 'error')
    return `INVALID ${r.file}\n${r.errors.map((e) => `  ${formatScenarioError(e)}\n`).join('')}`;
  const f = r.failure;
  if (f === undefined) return `FAIL ${r.file}\n`;
  const where = `${r.file}:${f.line}`;
  const lines = f.mismatches.map((m) => `  ${where}: ${f.label}: ${m.field}: want ${m.want}, got ${m.got}\n`);
  return `FAIL ${where} — ${r.name} (step ${f.index + 1} of ${r.steps})\n${lines.join('')}`;
}

/** The closing line: `N scenarios: P passed, F failed, I invalid; S steps in T s`. */
export function formatSummaryLine(s: RunSummary): string {
  const n = s.results.length;
  return `${n} scenario${n === 1 ? '' : 's'}: ${s.passed} passed, ${s.failed} failed, ${s.errors} invalid; ${s.steps} steps in ${(s.wallMs / 1000).toFixed(1)} s\n`;
}

/** The whole run as text: each scenario, then the summary line. */
export function formatTextReport(s: RunSummary): string {
  return s.results.map(formatResult).join('') + formatSummaryLine(s);
}
