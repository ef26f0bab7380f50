import { z } from 'zod';

/** A zod enum over a readonly list of string literals (the model's own lists: formats, phases, errnos). */
export function oneOf<T extends string>(values: readonly T[]) {
  return z.enum(values as unknown as [T, ...T[]]);
}
