import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runReadmeExample } from '@vfio-sim/vitest-config/readme';
import { expect, it } from 'vitest';

it('the README usage example runs and its assertions hold', async () => {
  const asserts = await runReadmeExample(dirname(dirname(fileURLToPath(import.meta.url))));
  expect(asserts).toBeGreaterThanOrEqual(3);
});
