// @ts-check
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The first ```ts block under the README's "## Usage" heading: the package's usage example.
 * @param {string} packageDir
 * @returns {string}
 */
export function readmeExample(packageDir) {
  const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
  const usage = readme.split(/^## Usage\s*$/m)[1];
  if (usage === undefined) throw new Error(`${packageDir}/README.md has no "## Usage" section`);
  const m = /```ts\n([\s\S]*?)```/.exec(usage);
  if (m === null || m[1] === undefined)
    throw new Error(`${packageDir}/README.md: no \`\`\`ts block under "## Usage"`);
  return m[1];
}

/**
 * Run the README's usage example as a module inside the package (so it imports the package by its own
 * name, as a user would). The example checks its own results with node:assert; a failed assertion
 * rejects. Resolves to the number of `assert` calls the example makes (a test expects at least one).
 * @param {string} packageDir
 * @returns {Promise<number>}
 */
export async function runReadmeExample(packageDir) {
  const code = readmeExample(packageDir);
  const dir = join(packageDir, '.readme');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'example.ts');
  writeFileSync(file, code);
  await import(/* @vite-ignore */ pathToFileURL(file).href);
  return (code.match(/\bassert(\.\w+)?\(/g) ?? []).length;
}
