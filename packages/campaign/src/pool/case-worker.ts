/**
 * The worker thread's entry: tinypool calls the default export with each batch. Built as its own
 * bundle (`dist/case-worker.js`) next to the package's index.
 */
import { type CaseBatch, runCaseBatch } from './case-batch.js';

export default function caseWorker(batch: CaseBatch) {
  return runCaseBatch(batch);
}
