/** The engine primitives of the browser build: pure JavaScript (see `platform-engine-backend.ts`). */
export { jsEngineBackend as platformEngineBackend } from './js-engine-backend.js';
