import { KernelError } from '@vfio-sim/platform';

/**
 * In a browser there is no file system to read `file` from: pass the scenario's text to `loadScenario`
 * instead. Node's build takes `read-file.ts` in this file's place.
 * @throws KernelError EOPNOTSUPP always.
 */
export function readScenarioText(file: string): string {
  throw new KernelError('EOPNOTSUPP', `${file}: no file system in a browser build; pass the scenario's text`);
}
