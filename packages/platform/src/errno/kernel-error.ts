import { ERRNO, type ErrnoName } from './errno.js';

/** Free-form facts attached to an error (offsets, states, register values) for messages and tests. */
export type ErrorContext = Readonly<Record<string, unknown>>;

/** Depth of {@link withoutKernelErrorStacks} calls now running. */
let unstacked = 0;

/**
 * The one error type of the model: a failed kernel operation, i.e. a function that would return
 * `-errno` in C (or an ioctl that fails with `errno` set in userspace).
 *
 * Nothing in vfio-sim throws a plain `Error` for a modelled failure; a plain `Error` means a bug in the
 * model itself.
 *
 * @example
 * ```ts
 * throw new KernelError('EINVAL', 'argsz 16 < minsz 32', { argsz: 16 });
 * ```
 */
export class KernelError extends Error {
  /** The errno name, e.g. `'EINVAL'`. */
  readonly errno: ErrnoName;
  /** The positive errno number (the kernel function returned its negation). */
  readonly code: number;
  /** Extra facts for the reader; never needed to decide what happened. */
  readonly context: ErrorContext | undefined;

  constructor(errno: ErrnoName, message: string, context?: ErrorContext) {
    // inside withoutKernelErrorStacks no frame is captured (V8 captures them as the Error is made)
    const limit = Error.stackTraceLimit;
    if (unstacked > 0) Error.stackTraceLimit = 0;
    super(`${errno}: ${message}`);
    Error.stackTraceLimit = limit;
    this.name = 'KernelError';
    this.errno = errno;
    this.code = ERRNO[errno];
    this.context = context;
  }

  /** The value a kernel function would return: `-errno`. */
  get ret(): number {
    return -this.code;
  }
}

/**
 * Run `fn` with every {@link KernelError} made meanwhile captured without a stack trace (its `stack` is
 * just its name and message), for a caller that turns each refusal into an errno and a message and never
 * shows where in the model it was thrown — a scenario step, a campaign's hostile request — where the
 * capture costs more than the refused call itself. Any other error (a bug of the model) keeps its stack;
 * outside such a call a KernelError keeps its stack too. Calls nest.
 *
 * Kernel counterpart: none (userspace sees an errno, never a kernel stack).
 */
export function withoutKernelErrorStacks<T>(fn: () => T): T {
  unstacked++;
  try {
    return fn();
  } finally {
    unstacked--;
  }
}

/** Narrow an unknown thrown value to a {@link KernelError}, optionally of one errno. */
export function isKernelError(value: unknown, errno?: ErrnoName): value is KernelError {
  return value instanceof KernelError && (errno === undefined || value.errno === errno);
}

/**
 * Run `fn` and turn a {@link KernelError} into the kernel's return convention: `0` on success,
 * `-errno` on failure. Any other exception is a model bug and propagates.
 */
export function toErrno(fn: () => void): number {
  try {
    fn();
    return 0;
  } catch (e) {
    if (e instanceof KernelError) return e.ret;
    throw e;
  }
}

/**
 * Run `fn` and return the errno name of the {@link KernelError} it throws, or `undefined` if it
 * succeeds. Any other exception (a model bug) propagates. Handy in tests:
 * `expect(errnoOf(() => dev.ioctl(...))).toBe('EINVAL')`.
 */
export function errnoOf(fn: () => unknown): ErrnoName | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    if (e instanceof KernelError) return e.errno;
    throw e;
  }
}
