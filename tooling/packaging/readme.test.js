// @ts-check
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { brokenLinks, headingAnchor, markdownLinks, REPO_URL } from './readme-links.js';
import { packedFiles, publishedPackages, ROOT } from './workspace.js';

describe('README links', () => {
  it('are found outside code, and judged as the registry page would', () => {
    const md = [
      '# Pkg',
      '## Driver library',
      'See [lib](#driver-library), [gone](#nowhere), [src](src/a.ts), [dist](dist/index.js),',
      `[repo](${REPO_URL}/blob/main/ARCHITECTURE.md), [stale](${REPO_URL}/blob/main/DESIGN.md), <https://example.org>.`,
      '`[not](a-link.md)`',
      '```js',
      "const x = '[no](link.md)';",
      '```',
    ].join('\n');
    expect(markdownLinks(md)).toEqual([
      '#driver-library',
      '#nowhere',
      'src/a.ts',
      'dist/index.js',
      `${REPO_URL}/blob/main/ARCHITECTURE.md`,
      `${REPO_URL}/blob/main/DESIGN.md`,
      'https://example.org',
    ]);
    expect(brokenLinks(md, ['dist/index.js', 'README.md'], ROOT)).toEqual([
      '#nowhere: no such heading',
      'src/a.ts: relative, and not in the tarball',
      `${REPO_URL}/blob/main/DESIGN.md: not a path in the repository`,
    ]);
    expect(headingAnchor('Figures (`pnpm bench`, ratios against a baseline)')).toBe(
      'figures-pnpm-bench-ratios-against-a-baseline',
    );
  });
});

/** Bare module names an example imports. */
const importsOf = (/** @type {string} */ code) =>
  [...code.matchAll(/^\s*import\s[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1] ?? '');
const isBuiltin = (/** @type {string} */ m) => m.startsWith('node:') || builtinModules.includes(m);

describe.each(publishedPackages())(
  '$name: README and package.json as the registry shows them',
  ({ dir, name, manifest }) => {
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');

    it('every link is absolute, an anchor that exists, or a file in the tarball', () => {
      expect(brokenLinks(readme, packedFiles(dir), ROOT)).toEqual([]);
    });

    it('says how to install it, for which Node, and what it depends on', () => {
      const install = /```sh\nnpm i ([^\n]+)\n```/.exec(readme);
      expect(install, 'an ```sh block with `npm i <package>`').not.toBeNull();
      const named = (install?.[1] ?? '').split(/\s+/);
      expect(named[0]).toBe(name);
      expect(readme).toContain('Node.js ≥ 20.19');
      expect(manifest.engines?.node).toBe('>=20.19');
      const deps = readme.split(/^## Dependencies\s*$/m)[1]?.split(/^## /m)[0];
      expect(deps, 'a "## Dependencies" section').toBeDefined();
      for (const dep of Object.keys(manifest.dependencies ?? {})) expect(deps).toContain(dep);
      // What the examples import, the install command names (pnpm does not hoist dependencies).
      const examples = [...readme.matchAll(/^```js\n([\s\S]*?)^```/gm)].map((m) => m[1] ?? '');
      for (const mod of examples.flatMap(importsOf).filter((m) => !isBuiltin(m)))
        expect(named).toContain(mod);
    });

    it('names the repository and its directory, as npm links them', () => {
      expect(manifest.repository).toEqual({
        type: 'git',
        url: `git+${REPO_URL}.git`,
        directory: relative(ROOT, dir),
      });
    });
  },
);
