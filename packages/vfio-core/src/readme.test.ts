import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));

// The first usage example runs in the shared preset's README test (tooling/vitest).
it('the README device-cdev example runs and its assertions hold', async () => {
  const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
  const section = readme.split(/^### Through the device cdev and iommufd\s*$/m)[1] ?? '';
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  expect(code).toMatch(/bindIommufd/);
  const dir = join(packageDir, '.readme');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'cdev-example.ts');
  writeFileSync(file, code!);
  await import(/* @vite-ignore */ pathToFileURL(file).href);
  expect((code!.match(/\bassert(\.\w+)?\(/g) ?? []).length).toBeGreaterThanOrEqual(4);
});
