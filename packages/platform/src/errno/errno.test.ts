import { describe, expect, it } from 'vitest';
import { ERRNO, errnoName, isErrnoName } from './errno.js';
import { errnoOf, isKernelError, KernelError, toErrno, withoutKernelErrorStacks } from './kernel-error.js';

describe('errno', () => {
  it('has the Linux numbers for the names the stack uses', () => {
    expect(ERRNO).toMatchObject({
      EPERM: 1,
      ENOENT: 2,
      EIO: 5,
      ENXIO: 6,
      E2BIG: 7,
      EBADF: 9,
      EAGAIN: 11,
      ENOMEM: 12,
      EACCES: 13,
      EFAULT: 14,
      EBUSY: 16,
      EEXIST: 17,
      ENODEV: 19,
      EINVAL: 22,
      ENOTTY: 25,
      ENOSPC: 28,
      ESPIPE: 29,
      ERANGE: 34,
      ENOMSG: 42,
      ENODATA: 61,
      EOVERFLOW: 75,
      EMSGSIZE: 90,
      EOPNOTSUPP: 95,
      EADDRINUSE: 98,
      ETIMEDOUT: 110,
    });
  });

  it('maps numbers (either sign) back to names', () => {
    expect(errnoName(22)).toBe('EINVAL');
    expect(errnoName(-110)).toBe('ETIMEDOUT');
    expect(errnoName(9999)).toBeUndefined();
    expect(isErrnoName('ENOTTY')).toBe(true);
    expect(isErrnoName('toString')).toBe(false);
  });

  it('numbers are unique', () => {
    const values = Object.values(ERRNO);
    expect(new Set(values).size).toBe(values.length);
  });
});

describe('KernelError', () => {
  it('carries the errno name, number, message and context', () => {
    const e = new KernelError('EINVAL', 'argsz 16 < minsz 32', { argsz: 16 });
    expect(e).toBeInstanceOf(Error);
    expect(e.errno).toBe('EINVAL');
    expect(e.code).toBe(22);
    expect(e.ret).toBe(-22);
    expect(e.message).toBe('EINVAL: argsz 16 < minsz 32');
    expect(e.context).toEqual({ argsz: 16 });
  });

  it('isKernelError narrows by errno', () => {
    const e = new KernelError('EBUSY', 'mailbox busy');
    expect(isKernelError(e)).toBe(true);
    expect(isKernelError(e, 'EBUSY')).toBe(true);
    expect(isKernelError(e, 'EIO')).toBe(false);
    expect(isKernelError(new Error('x'))).toBe(false);
  });

  it('toErrno gives the kernel return convention and lets model bugs through', () => {
    expect(toErrno(() => {})).toBe(0);
    expect(
      toErrno(() => {
        throw new KernelError('ETIMEDOUT', 't');
      }),
    ).toBe(-110);
    expect(() =>
      toErrno(() => {
        throw new TypeError('bug');
      }),
    ).toThrow(TypeError);
  });
});

describe('withoutKernelErrorStacks', () => {
  const frames = (e: Error) =>
    (e.stack ?? '').split('\n').filter((l) => l.trimStart().startsWith('at ')).length;

  it('makes KernelErrors without stack frames inside, with them outside; errno and message stay', () => {
    const limit = Error.stackTraceLimit;
    const outside = new KernelError('EINVAL', 'argsz 4 < 8', { argsz: 4 });
    const inside = withoutKernelErrorStacks(() => new KernelError('EINVAL', 'argsz 4 < 8', { argsz: 4 }));
    expect(frames(outside)).toBeGreaterThan(0);
    expect(frames(inside)).toBe(0);
    expect(inside.stack).toBe('KernelError: EINVAL: argsz 4 < 8');
    expect([inside.errno, inside.code, inside.message, inside.context]).toEqual([
      outside.errno,
      outside.code,
      outside.message,
      outside.context,
    ]);
    expect(Error.stackTraceLimit).toBe(limit);
  });

  it('leaves any other error its stack (a bug of the model), nests, and ends even when fn throws', () => {
    const limit = Error.stackTraceLimit;
    const bug = withoutKernelErrorStacks(() => new TypeError('bug'));
    expect(frames(bug)).toBeGreaterThan(0);
    const nested = withoutKernelErrorStacks(() => {
      withoutKernelErrorStacks(() => 0);
      return new KernelError('EIO', 'after the inner call');
    });
    expect(frames(nested)).toBe(0);
    expect(() =>
      withoutKernelErrorStacks(() => {
        throw new KernelError('EBUSY', 'refused');
      }),
    ).toThrow('EBUSY: refused');
    expect(frames(new KernelError('EBUSY', 'after a throw'))).toBeGreaterThan(0);
    expect(Error.stackTraceLimit).toBe(limit);
  });
});

describe('errnoOf', () => {
  it('names the errno thrown, undefined on success, and lets model bugs through', () => {
    expect(errnoOf(() => 1)).toBeUndefined();
    expect(
      errnoOf(() => {
        throw new KernelError('ENOTTY', 'unknown ioctl');
      }),
    ).toBe('ENOTTY');
    expect(() =>
      errnoOf(() => {
        throw new RangeError('bug');
      }),
    ).toThrow(RangeError);
  });
});
