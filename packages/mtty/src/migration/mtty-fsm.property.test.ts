import { fc, test } from '@fast-check/vitest';
import {
  isSavingState,
  VFIO_DEVICE_STATE_PRE_COPY as PRE_COPY,
  VFIO_DEVICE_STATE_PRE_COPY_P2P as PRE_COPY_P2P,
  VFIO_DEVICE_STATE_RESUMING as RESUMING,
  VFIO_DEVICE_STATE_RUNNING as RUNNING,
  VFIO_DEVICE_STATE_STOP as STOP,
  VFIO_DEVICE_STATE_STOP_COPY as STOP_COPY,
  vfioMigPath,
} from '@vfio-sim/migration-v2';
import { errnoOf } from '@vfio-sim/platform';
import { describe, expect } from 'vitest';
import {
  guestUarts,
  mttyBed,
  portBytes,
  precopyInfo,
  readToEof,
  writeAll,
} from '../__fixtures__/mtty-host.js';
import { MTTY_MIGRATION_FLAGS } from '../driver/mtty-dev-ops.js';
import { mttyDataHeader, mttyDataSize } from '../uapi/mtty-data.js';

const SIZE = mttyDataSize(2);
const HEADER = 24;

type Op =
  | { readonly op: 'set'; readonly target: number }
  | { readonly op: 'read'; readonly n: number }
  | { readonly op: 'write'; readonly n: number }
  | { readonly op: 'info' }
  | { readonly op: 'reset' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .oneof(fc.integer({ min: 0, max: 9 }), fc.constant(0xffff_ffff))
      .map((target) => ({ op: 'set' as const, target })),
  },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 64 }).map((n) => ({ op: 'read' as const, n })) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 100 }).map((n) => ({ op: 'write' as const, n })) },
  { weight: 1, arbitrary: fc.constant({ op: 'info' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'reset' as const }) },
);

/** Does the arc `cur → next` open a data session (a new fd)? */
const opens = (cur: number, next: number) =>
  (isSavingState(next) && !isSavingState(cur)) || (next === RESUMING && cur !== RESUMING);

/**
 * The model: the state, the saving session (what the file holds and where the reader is) and the
 * resuming session (bytes received), each with the fd the test holds; the ports as they should be.
 */
interface Model {
  state: number;
  saving: { fd: number; len: number; pos: number } | undefined;
  resuming: { fd: number; len: number } | undefined;
  ports: Uint8Array[];
  deadFds: { fd: number; kind: 'saving' | 'resuming' }[];
}

describe('mtty against the v2 FSM (model-based, random operation sequences)', () => {
  test.prop([fc.array(opArb, { minLength: 1, maxLength: 40 })], { numRuns: 200 })(
    'state, fds, file contents, PRECOPY_INFO and the ports follow the model; errors change nothing',
    (ops) => {
      const bed = mttyBed('m');
      const uarts = guestUarts(bed);
      uarts[0]!.write(Uint8Array.of(1, 2, 3));
      uarts[1]!.write(Uint8Array.of(9));
      // What a resume loads: another device's blob.
      const other = mttyBed('o');
      guestUarts(other)[1]!.write(Uint8Array.of(7, 7, 7, 7));
      const incoming = readToEof(other.process, other.handle.setMigState(STOP_COPY)!);
      const own = () =>
        Uint8Array.from([...mttyDataHeader(2), ...portBytes(bed.mdevState).flatMap((b) => [...b])]);
      const m: Model = {
        state: RUNNING,
        saving: undefined,
        resuming: undefined,
        ports: portBytes(bed.mdevState),
        deadFds: [],
      };
      const p = bed.process;

      const endSaving = () => {
        if (m.saving !== undefined) m.deadFds.push({ fd: m.saving.fd, kind: 'saving' });
        m.saving = undefined;
      };
      const endResuming = () => {
        if (m.resuming !== undefined) m.deadFds.push({ fd: m.resuming.fd, kind: 'resuming' });
        m.resuming = undefined;
      };

      for (const o of ops) {
        switch (o.op) {
          case 'set': {
            let path: number[] | undefined;
            try {
              path = vfioMigPath(MTTY_MIGRATION_FLAGS, m.state, o.target);
            } catch {
              path = undefined;
            }
            const before = { state: m.state, ports: portBytes(bed.mdevState), fds: p.openFds() };
            let fd: number | undefined;
            const errno = errnoOf(() => {
              fd = bed.handle.setMigState(o.target);
            });
            if (path === undefined) {
              expect(errno).toBe('EINVAL');
              expect({
                state: bed.handle.getMigState(),
                ports: portBytes(bed.mdevState),
                fds: p.openFds(),
              }).toEqual(before);
              break;
            }
            // Walk the path arc by arc; RESUMING → STOP fails on an incomplete blob and the walk stops.
            let cur = m.state;
            let failed = false;
            for (const next of path) {
              if (cur === RESUMING && next === STOP) {
                if ((m.resuming?.len ?? 0) < SIZE) {
                  failed = true;
                  break;
                }
                m.ports = [incoming.slice(24, 60), incoming.slice(60, 96)];
                endResuming();
              }
              if (isSavingState(cur) && !isSavingState(next)) endSaving();
              cur = next;
            }
            if (failed) {
              expect(errno).toBe('EINVAL');
              expect(fd).toBeUndefined();
              m.state = cur;
            } else {
              expect(errno).toBeUndefined();
              const last = path.length > 0 && opens([m.state, ...path].at(-2)!, o.target);
              expect(fd !== undefined).toBe(last);
              if (last) {
                if (o.target === RESUMING) m.resuming = { fd: fd!, len: 0 };
                else m.saving = { fd: fd!, len: o.target === STOP_COPY ? SIZE : HEADER, pos: 0 };
              } else if (o.target === STOP_COPY && m.saving !== undefined && m.state !== STOP_COPY) {
                m.saving.len = SIZE; // PRE_COPY_P2P → STOP_COPY appends the ports to the open file
              }
              m.state = o.target;
            }
            break;
          }
          case 'read': {
            if (m.saving === undefined) break;
            const s = m.saving;
            const buf = p.mm.alloc(o.n);
            const n = p.read(s.fd, buf, o.n);
            expect(n).toBe(Math.min(o.n, s.len - s.pos));
            expect(p.mm.copyFromUser(buf, n)).toEqual(own().subarray(s.pos, s.pos + n));
            s.pos += n;
            break;
          }
          case 'write': {
            if (m.resuming === undefined) break;
            const r = m.resuming;
            const chunk = incoming.subarray(r.len, r.len + o.n);
            if (chunk.length === 0) {
              expect(errnoOf(() => writeAll(p, r.fd, Uint8Array.of(0)))).toBe('ENOMEM');
              break;
            }
            expect(writeAll(p, r.fd, chunk, chunk.length)).toBe(chunk.length);
            r.len += chunk.length;
            break;
          }
          case 'info': {
            if (m.saving === undefined) break;
            const inPrecopy = m.state === PRE_COPY || m.state === PRE_COPY_P2P;
            if (inPrecopy) {
              expect(precopyInfo(p, m.saving.fd)).toEqual({
                initialBytes: m.saving.len - m.saving.pos,
                dirtyBytes: 0,
              });
            } else {
              expect(errnoOf(() => precopyInfo(p, m.saving!.fd))).toBe('EINVAL');
            }
            break;
          }
          case 'reset':
            bed.handle.reset();
            endSaving();
            endResuming();
            m.state = RUNNING;
            break;
        }
        expect(bed.handle.getMigState()).toBe(m.state);
        expect(bed.handle.getMigDataSize()).toBe(SIZE);
        expect(portBytes(bed.mdevState)).toEqual(m.ports);
        expect(bed.mdevState.savingMigf !== undefined).toBe(m.saving !== undefined);
        expect(bed.mdevState.resumingMigf !== undefined).toBe(m.resuming !== undefined);
        // Every session that ended: its fd answers ENODEV (the file is disabled); then the test closes it.
        for (const { fd, kind } of m.deadFds.splice(0)) {
          const io =
            kind === 'saving' ? () => p.read(fd, p.mm.alloc(1), 1) : () => writeAll(p, fd, Uint8Array.of(0));
          expect(errnoOf(io)).toBe('ENODEV');
          p.close(fd);
        }
        expect(p.openFds()).toEqual(
          [bed.handle.fd, m.saving?.fd, m.resuming?.fd]
            .filter((fd) => fd !== undefined)
            .sort((a, b) => a - b),
        );
      }
    },
  );
});
