import { describe, expect, it } from 'vitest';
import {
  type FaultMatrixResult,
  faultMatrixCellName,
  faultMatrixCells,
  runFaultMatrixCell,
  summarizeFaultMatrix,
} from './fault-matrix.js';

describe('the fault matrix', () => {
  it('names each cell once: every fault × side × target × phase × protocol × pre-copy', () => {
    const cells = faultMatrixCells();
    // qm-hw: 8 faults × 2 sides × 2 targets × (7 phases v2 + 6 v1) × 2 pre-copy; link: 2 × 3 phases × 2 × 2
    expect(cells).toHaveLength(8 * 2 * 2 * 13 * 2 + 2 * 3 * 2 * 2);
    expect(new Set(cells.map(faultMatrixCellName)).size).toBe(cells.length);
  });

  it('every cell passes with proof, aborts cleanly with the source guest served, or loses jobs with their upstream cause: none is silent', () => {
    const results: FaultMatrixResult[] = faultMatrixCells().map((cell) => runFaultMatrixCell(cell));
    const summary = summarizeFaultMatrix(results);
    process.stdout.write(`${summary.line}\n`);
    const bad = results
      .filter((r) => r.problems.length > 0 || r.verdict === 'silent' || r.verdict === 'crash')
      .map((r) => `${faultMatrixCellName(r.cell)}: ${r.verdict} ${r.problems.join('; ')}`);
    expect(bad).toEqual([]);
    expect(summary.silent).toBe(0);
    // the matrix is not vacuous: each outcome occurs, and the known upstream losses are among them
    expect(summary.pass).toBeGreaterThan(0);
    expect(summary.aborted).toBeGreaterThan(0);
    expect(summary.attributed).toBeGreaterThan(0);
    const verdictOf = (name: string) => results.find((r) => faultMatrixCellName(r.cell) === name)?.verdict;
    expect(verdictOf('v2 pre-copy=on source vf stop mb-error')).toBe('attributed-loss');
    expect(verdictOf('v1 pre-copy=on source vf stop mb-error')).toBe('aborted');
    expect(verdictOf('v2 pre-copy=on source vf stop vf-not-ready')).toBe('attributed-loss');
    for (const name of [
      'v1 pre-copy=on link link stop-and-copy link-flip',
      'v2 pre-copy=off link link setup link-cut',
    ])
      expect(verdictOf(name)).toBe('aborted');
  }, 600_000);
});
