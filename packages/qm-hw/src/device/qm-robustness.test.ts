import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { QM_MB_CMD_AEQC, QM_MB_CMD_PAUSE_QM, qmMbBusy, qmMbEncode } from '../regs/mailbox.js';
import { QM_MB_CMD_SEND_BASE } from '../regs/registers.js';
import { makeDevice, startFunction } from './__fixtures__/qm-setup.js';

const VF0 = 0x100_0000;

/** One bus transaction a buggy or hostile driver might issue. */
const access = fc.record({
  target: fc.constantFrom('pf', 'vf0', 'vf1', 'vf0-bar4'),
  offset: fc.oneof(
    fc.constantFrom(0x0, 0x4, 0x8, 0xc, 0x20, 0x24, 0x28, 0x2c, 0x30, 0x34, 0x60, 0x204, 0x300, 0x304, 0x340),
    fc.constantFrom(0x1000, 0x2000, 0x8000, 0x8018, 0x8020, 0x100054, 0x100058, 0x10006c, 0x100130, 0x100138),
    fc.integer({ min: 0, max: 0x40_0000 }),
  ),
  width: fc.constantFrom(1, 2, 4, 8, 16),
  bytes: fc.uint8Array({ minLength: 16, maxLength: 16 }),
  read: fc.boolean(),
  cmd: fc.integer({ min: 0, max: 0x10 }),
  advance: fc.integer({ min: 0, max: 300 }),
});

describe('robustness', () => {
  test.prop([fc.array(access, { maxLength: 60 })], { numRuns: 150 })(
    'arbitrary register traffic never throws, and every mailbox command completes',
    (ops) => {
      const { clock, mem, dev, vfs } = makeDevice('zip', 2, 4);
      startFunction(clock, mem, vfs[0]!, VF0, 2);
      for (const op of ops) {
        const fn = op.target === 'pf' ? dev.pf : op.target === 'vf1' ? vfs[1]! : vfs[0]!;
        const region = op.target === 'vf0-bar4' ? fn.bar4 : fn.bar2;
        const data = op.bytes.slice(0, op.width);
        if (op.width === 16 && op.offset === QM_MB_CMD_SEND_BASE) {
          // make it a well-formed command half of the time
          if (op.read) qmMbEncode(data, op.cmd, op.cmd & 1, op.cmd & 3, op.bytes[4]! << 12, 0);
        }
        if (op.read) region.read(op.offset, data);
        else region.write(op.offset, data);
        clock.udelay(op.advance);
      }
      clock.runUntilIdle(1_000_000);
      for (const f of [dev.pf, ...vfs]) {
        expect(qmMbBusy(f.bar2.readl(QM_MB_CMD_SEND_BASE))).toBe(false);
        expect(() => JSON.stringify(f.snapshot())).not.toThrow();
      }
    },
  );

  test.prop([fc.integer({ min: 1, max: 12 })])('snapshots are plain JSON', (n) => {
    const { clock, mem, vfs } = makeDevice('sec', 1, n);
    startFunction(clock, mem, vfs[0]!, VF0, n);
    const s = vfs[0]!.snapshot();
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
    expect(s.state.queues).toHaveLength(n);
  });
});

describe('mailbox read as one 16-byte transaction', () => {
  test('returns the four words at once', () => {
    const { clock, vfs } = makeDevice('zip', 1);
    const bar = vfs[0]!.bar2;
    bar.write(QM_MB_CMD_SEND_BASE, qmMbEncode(new Uint8Array(16), QM_MB_CMD_AEQC, 1, 0, 0x1000, 0));
    const all = new Uint8Array(16);
    bar.read(QM_MB_CMD_SEND_BASE, all);
    expect(all[1]! & 0x20).toBe(0x20);
    clock.udelay(10);
    bar.read(QM_MB_CMD_SEND_BASE, all);
    expect(all[1]! & 0x20).toBe(0);
    bar.write(QM_MB_CMD_SEND_BASE, qmMbEncode(new Uint8Array(16), QM_MB_CMD_PAUSE_QM, 0, 0, 0, 0));
    clock.udelay(10);
    expect(vfs[0]!.paused).toBe(true);
  });
});
