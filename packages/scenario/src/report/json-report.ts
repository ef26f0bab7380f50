import type { RunSummary, ScenarioResult } from '../run/scenario-result.js';

/** The run as `vfio-sim run --json` prints it: the counts, and every result with its wall time rounded. */
export interface JsonRunReport {
  readonly exitCode: RunSummary['exitCode'];
  readonly scenarios: number;
  readonly passed: number;
  readonly failed: number;
  readonly invalid: number;
  readonly steps: number;
  /** Wall-clock milliseconds, rounded (a figure, never compared). */
  readonly wallMs: number;
  readonly results: readonly ScenarioResult[];
}

/**
 * The run as a JSON-ready object: the summary with every result — status, steps run, the failing step
 * with its file position and each mismatch's want and got, or the file's errors.
 */
export function jsonReport(s: RunSummary): JsonRunReport {
  return {
    exitCode: s.exitCode,
    scenarios: s.results.length,
    passed: s.passed,
    failed: s.failed,
    invalid: s.errors,
    steps: s.steps,
    wallMs: Math.round(s.wallMs),
    results: s.results.map((r) => ({ ...r, wallMs: Math.round(r.wallMs) })),
  };
}

/** {@link jsonReport} as two-space JSON with a final newline. */
export function formatJsonReport(s: RunSummary): string {
  return `${JSON.stringify(jsonReport(s), null, 2)}\n`;
}
