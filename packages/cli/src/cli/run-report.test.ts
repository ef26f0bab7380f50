/// <reference lib="dom.iterable" />
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateChromeTrace } from '@vfio-sim/platform';
import type { ReportView } from '@vfio-sim/report';
import { runScenarios, type ScenarioMigration } from '@vfio-sim/scenario';
import { parseHTML } from 'linkedom';
import { describe, expect, it } from 'vitest';
import { runCli } from './__fixtures__/run-cli.js';

const LIBRARY = fileURLToPath(new URL('../../../../scenarios', import.meta.url));
/** Seven VM scenarios: one and two migrations, two guests, a guest with two VFs, aborted migrations. */
const VM = join(LIBRARY, 'vm');

/** The models a run page embeds, in page order. */
function embeddedModels(html: string): ReportView[] {
  const { document } = parseHTML(html);
  return [...document.querySelectorAll('script[id^="vfio-sim-report-"]')].map((s) =>
    JSON.parse(s.textContent ?? ''),
  );
}

describe('vfio-sim run --report', () => {
  it('writes one page with a model per migration the scenarios ran, each the migration vmm reported', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'vfio-sim-run-report-')), 'vm.html');
    const r = await runCli(['run', VM, '--report', file, '--trace', join(file, '..', 'vm.json')]);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(
      /^report: (\d+) migration\(s\), \d+ KiB written to .*vm\.html \(open it in a browser\)$/m,
    );
    validateChromeTrace(JSON.parse(readFileSync(join(file, '..', 'vm.json'), 'utf8')));

    const migrations: ScenarioMigration[] = [];
    runScenarios([VM], { onMigration: (m) => migrations.push(m) });
    const html = readFileSync(file, 'utf8');
    const models = embeddedModels(html);
    expect(models).toHaveLength(migrations.length);
    expect(Number(/^report: (\d+) migration/m.exec(r.stderr)?.[1])).toBe(migrations.length);
    for (const [i, m] of migrations.entries()) {
      const model = models[i] as ReportView;
      expect(model.title).toBe(`${m.scenario}: ${m.step.label}`);
      expect(model.description).toEqual([`${m.file}:${m.step.line}`]);
      expect(model.protocol).toBe(m.report.protocol);
      expect(model.outcome).toBe(m.report.outcome);
      expect(model.hosts).toEqual({ source: m.report.from, destination: m.report.to });
      expect(model.downtime?.us ?? null).toBe(m.report.migration?.downtimeUs ?? null);
      expect(model.ram?.rounds ?? null).toEqual(m.report.migration?.ram.rounds ?? null);
      expect(model.jobs.submitted).toBe(m.report.proof.jobs.submitted);
    }
    // both outcomes, two guests in one scenario, a guest with two VFs
    expect(new Set(models.map((m) => m.outcome))).toEqual(new Set(['migrated', 'aborted']));
    expect(models.some((m) => m.stream.devices.length === 2)).toBe(true);
    // one trace per scenario that migrated, each a valid Perfetto JSON
    const { document } = parseHTML(html);
    const traces = [...document.querySelectorAll('script[id^="vfio-sim-trace-"]')];
    expect(traces).toHaveLength(new Set(migrations.map((m) => m.file)).size);
    for (const t of traces) validateChromeTrace(JSON.parse(t.textContent ?? ''));
    // same run, same page
    const again = join(file, '..', 'again.html');
    await runCli(['run', VM, '--report', again]);
    expect(readFileSync(again, 'utf8')).toBe(html);
  });

  it('--report - puts the page on stdout and the results on stderr', async () => {
    const r = await runCli(['run', join(VM, 'timed-fault.yaml'), '--report', '-']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^<!doctype html>/);
    expect(embeddedModels(r.stdout)).toHaveLength(1);
    expect(r.stderr).toMatch(/^PASS .*timed-fault\.yaml/);
    expect(r.stderr).toMatch(/^1 scenario: 1 passed/m);
  });

  it('scenarios without a migration give a page that says so', async () => {
    const r = await runCli(['run', join(LIBRARY, 'ops-style'), '--report', '-']);
    expect(r.exitCode).toBe(0);
    expect(embeddedModels(r.stdout)).toEqual([]);
    expect(r.stdout).toContain('No scenario ran a migration.');
  });

  it('a report path that cannot be written: one line, exit 2, nothing run', async () => {
    const r = await runCli(['run', VM, '--report', '/nonexistent/dir/vm.html']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(
      /^error: cannot write the report file '\/nonexistent\/dir\/vm\.html' \(ENOENT\)[^\n]*\n$/,
    );
    expect(r.stdout).toBe('');
  });
});
