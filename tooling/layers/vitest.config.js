import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { include: ['*.test.js'], exclude: ['fixtures/**', 'node_modules/**'] },
});
