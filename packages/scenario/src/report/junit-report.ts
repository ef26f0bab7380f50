import type { RunSummary, ScenarioResult } from '../run/scenario-result.js';
import { formatScenarioError } from '../validate/scenario-error.js';

/** Text as XML character data / attribute value. */
function xml(text: string): string {
  return (
    text
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: XML 1.0 forbids these characters
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
  );
}

function testcase(r: ScenarioResult): string {
  const line = r.failure?.line ?? r.errors[0]?.line;
  const attrs = `classname="${xml(r.file.replace(/\/[^/]*$/, '').replace(/\//g, '.'))}" name="${xml(`${r.file}: ${r.name}`)}" file="${xml(r.file)}"${line !== undefined ? ` line="${line}"` : ''} time="${(r.wallMs / 1000).toFixed(3)}"`;
  if (r.status === 'pass') return `    <testcase ${attrs}/>\n`;
  if (r.status === 'error') {
    const body = r.errors.map(formatScenarioError).join('\n');
    return `    <testcase ${attrs}>\n      <error type="invalid scenario" message="${xml(r.errors[0] !== undefined ? formatScenarioError(r.errors[0]) : 'invalid')}">${xml(body)}</error>\n    </testcase>\n`;
  }
  const f = r.failure;
  const lines = (f?.mismatches ?? []).map(
    (m) => `${r.file}:${f?.line}: ${f?.label}: ${m.field}: want ${m.want}, got ${m.got}`,
  );
  return `    <testcase ${attrs}>\n      <failure type="expectation" message="${xml(lines[0] ?? 'failed')}">${xml(lines.join('\n'))}</failure>\n    </testcase>\n`;
}

/**
 * The run as JUnit XML (`vfio-sim run --junit out.xml`), as CI systems read it: one testsuite, one
 * testcase per scenario file; an unmet expectation is a `<failure>`, an invalid file an `<error>`, each
 * with the file:line and want/got.
 */
export function formatJUnitReport(s: RunSummary): string {
  const head = `tests="${s.results.length}" failures="${s.failed}" errors="${s.errors}" time="${(s.wallMs / 1000).toFixed(3)}"`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="vfio-sim scenarios" ${head}>\n  <testsuite name="vfio-sim scenarios" ${head}>\n${s.results.map(testcase).join('')}  </testsuite>\n</testsuites>\n`;
}
