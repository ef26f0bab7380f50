/** Test scaffolding: the package's captured I/O, under the name the tests use. */
export { type CapturedIo, captureCliIo as capturedIo } from '../captured-io.js';
