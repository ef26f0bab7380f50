import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalRegistry, runtimeClosure, startLocalRegistry } from './__fixtures__/local-registry.js';

const run = promisify(execFile);
const PACKAGE = fileURLToPath(new URL('..', import.meta.url));

/**
 * `npx vfio-sim` as a user gets it: @vfio-sim/cli packed with every package it needs (the workspace's
 * with `pnpm pack`, third-party ones from pnpm's store), served by a registry on 127.0.0.1, the CLI's
 * tarball installed with npm into a fresh directory — no network, a fresh npm cache, no user config.
 */
describe('the published @vfio-sim/cli, installed with npm', () => {
  let registry: LocalRegistry;
  let app: string;
  /** npm in `app`, against the local registry only. */
  const npm = (args: readonly string[]) => {
    const { NODE_OPTIONS: _n, ...env } = process.env;
    return run('npm', [...args], {
      cwd: app,
      env: {
        ...Object.fromEntries(Object.entries(env).filter(([k]) => !/^npm_/i.test(k))),
        npm_config_registry: registry.url,
        npm_config_cache: join(app, '..', 'npm-cache'),
        npm_config_userconfig: join(app, '..', 'npmrc'),
        npm_config_audit: 'false',
        npm_config_fund: 'false',
        npm_config_update_notifier: 'false',
      },
      maxBuffer: 1 << 26,
    });
  };

  beforeAll(async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'vfio-sim-npx-'));
    mkdirSync(join(scratch, 'tgz'));
    app = join(scratch, 'app');
    mkdirSync(app);
    writeFileSync(join(scratch, 'npmrc'), '');
    writeFileSync(join(app, 'package.json'), '{ "name": "consumer", "version": "1.0.0", "private": true }\n');
    registry = await startLocalRegistry(runtimeClosure(PACKAGE), join(scratch, 'tgz'));
    const cli = join(scratch, 'vfio-sim-cli.tgz');
    writeFileSync(cli, registry.tarballOf('@vfio-sim/cli'));
    await npm(['install', '--ignore-scripts', cli]);
  }, 240_000);

  afterAll(async () => {
    await registry?.close();
  });

  it('the tarballs are every workspace package the CLI needs and their third-party dependencies', () => {
    const ours = registry.packages.filter((p) => p.startsWith('@vfio-sim/'));
    expect(ours.map((p) => p.replace(/@[^@]+$/, '')).sort()).toEqual(
      [
        'campaign',
        'cli',
        'hisi-acc-vfio-pci',
        'iommufd',
        'migration-v1',
        'migration-v2',
        'mtty',
        'platform',
        'qm-hw',
        'report',
        'scenario',
        'vfio-core',
        'vmm',
      ].map((n) => `@vfio-sim/${n}`),
    );
    expect(registry.packages).toEqual(expect.arrayContaining(['commander@14.0.3', 'zod@4.6.7']));
    expect(registry.packages.some((p) => p.startsWith('tinypool@'))).toBe(true);
    expect(registry.packages.some((p) => p.startsWith('cli-progress@'))).toBe(true);
  });

  it('npx vfio-sim --version prints the installed package’s version', async () => {
    const installed = JSON.parse(readFileSync(join(app, 'node_modules/@vfio-sim/cli/package.json'), 'utf8'));
    expect(installed.version).toBe(JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8')).version);
    const { stdout } = await run('npx', ['--offline', 'vfio-sim', '--version'], { cwd: app });
    expect(stdout).toBe(`${installed.version}\n`);
  });

  it('npx vfio-sim demo runs a short live migration to PASS', async () => {
    const { stdout } = await run('npx', ['--offline', 'vfio-sim', 'demo', '--jobs', '2', '--seed', '3'], {
      cwd: app,
      maxBuffer: 1 << 24,
    });
    expect(stdout).toMatch(/^vfio-sim demo \(seed 3\): v1 live migration/);
    expect(stdout).toMatch(/^PASS: every job completed exactly once/m);
  });

  it('npx vfio-sim campaign runs cases on two worker threads from the installed bundle', async () => {
    const { stdout } = await run(
      'npx',
      ['--offline', 'vfio-sim', 'campaign', '--cases', '6', '--seed', '4', '--workers', '2', '--json'],
      { cwd: app, maxBuffer: 1 << 24 },
    );
    const summary = JSON.parse(stdout);
    expect(summary).toMatchObject({ schemaVersion: 1, seed: 4, cases: 6, failed: 0 });
    expect(summary.passed).toBe(6);
  });
});
