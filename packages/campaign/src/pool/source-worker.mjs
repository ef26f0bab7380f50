// The worker entry when the package runs from its TypeScript sources (tests, `tsx` in this repository):
// tsx compiles the worker module in the worker thread. The published package uses dist/case-worker.js.
import { register } from 'tsx/esm/api';

register();
const worker = await import('./case-worker.ts');

export default worker.default;
