import type { RunSummary } from '../run/scenario-result.js';

/**
 * The run as JSON (`vfio-sim run --json`): the summary with every result — status, steps run, the failing
 * step with its file position and each mismatch's want and got, or the file's errors.
 */
export function formatJsonReport(s: RunSummary): string {
  return `${JSON.stringify(
    {
      exitCode: s.exitCode,
      scenarios: s.results.length,
      passed: s.passed,
      failed: s.failed,
      invalid: s.errors,
      steps: s.steps,
      wallMs: Math.round(s.wallMs),
      results: s.results.map((r) => ({ ...r, wallMs: Math.round(r.wallMs) })),
    },
    null,
    2,
  )}\n`;
}
