import { readFileSync } from 'node:fs';

/**
 * A scenario file's text, read from disk (`readFileSync`, UTF-8). The browser build
 * (`read-file.browser.ts`) has no file system: there a scenario's text is passed in.
 * @throws the file system's error (its `code`, e.g. ENOENT).
 */
export function readScenarioText(file: string): string {
  return readFileSync(file, 'utf8');
}
