/**
 * The engine primitives this build runs on: Node's built-ins. The browser build (tsup preset, `browser`
 * export condition) takes `platform-engine-backend.browser.ts` in this module's place.
 */
export { nodeEngineBackend as platformEngineBackend } from './node-engine-backend.js';
