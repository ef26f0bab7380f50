// @ts-check
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is tooling/packaging/workspace.js). */
export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/**
 * @typedef {{ dir: string; name: string; manifest: Record<string, any> }} PublishedPackage
 */

/**
 * Every package a user can install: each directory under packages/ whose package.json is not private.
 * New packages are picked up without listing them anywhere.
 * @param {string} [root]
 * @returns {PublishedPackage[]}
 */
export function publishedPackages(root = ROOT) {
  const base = join(root, 'packages');
  return readdirSync(base, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(base, d.name, 'package.json')))
    .map((d) => {
      const dir = join(base, d.name);
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      return { dir, name: manifest.name, manifest };
    })
    .filter((p) => p.manifest.private !== true);
}

/**
 * The files `pnpm pack` puts in the package's tarball, as paths relative to the package.
 * @param {string} dir
 * @returns {string[]}
 */
export function packedFiles(dir) {
  const out = execFileSync('pnpm', ['pack', '--dry-run', '--json'], { cwd: dir, encoding: 'utf8' });
  return JSON.parse(out).files.map((/** @type {{ path: string }} */ f) => f.path);
}
