import { errnoOf, VirtualClock } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { QM_DOORBELL_CMD_CQ, QM_DOORBELL_CMD_EQ, QM_DOORBELL_CMD_SQ } from '../regs/doorbell.js';
import { QM_MB_CMD_SQC_BT, QM_MB_CMD_SQC_VFT_V2 } from '../regs/mailbox.js';
import { QM_HW_V1, QM_HW_V2, QM_HW_V3 } from '../regs/versions.js';
import { FakeQmRegion } from './__fixtures__/fake-qm.js';
import { qmCacheWb } from './cache-wb.js';
import { qmDb } from './doorbell.js';
import { HisiQm } from './hisi-qm.js';
import { qmMb, qmMbRead, qmWaitMbReady } from './mailbox.js';
import { qmGetVft, qmSetVft, qmVfQAssign } from './vft.js';

function setup(ver: 0x20 | 0x21 | 0x30 = QM_HW_V3, funType: 'PF' | 'VF' = 'VF') {
  const clock = new VirtualClock();
  const io = new FakeQmRegion(clock);
  const bar4 = new FakeQmRegion(clock, 0x1000000);
  const qm = new HisiQm({ ioBase: io, dbIoBase: bar4, clock, funType, ver });
  return { clock, io, bar4, qm };
}

describe('mailbox (register-file fake)', () => {
  it('is one 16-byte write: w0 = cmd | busy | op, queue, base halves', () => {
    const { io, qm } = setup();
    qmMb(qm, QM_MB_CMD_SQC_BT, 0x1_2345_6780n, 7, 0);
    expect(io.mailboxes).toEqual([[0x2004 | (7 << 16), 0x2345_6780, 0x1, 0]]);
    expect(io.log.filter((l) => l.startsWith('w16'))).toEqual(['w16@0x300']);
  });

  it('read direction sets op and returns 0x308:0x304', () => {
    const { io, qm } = setup();
    io.mbResult = [0xdead_beef, 0x1234];
    expect(qmMbRead(qm, QM_MB_CMD_SQC_VFT_V2, 0)).toBe(0x1234_dead_beefn);
    expect(io.mailboxes[0]?.[0]).toBe(0x6006);
  });

  it('busy before the write → EBUSY after 1 ms, nothing written', () => {
    const { io, qm, clock } = setup();
    io.regs.set(0x300, 1 << 13);
    expect(errnoOf(() => qmWaitMbReady(qm))).toBe('ETIMEDOUT');
    const t = clock.now();
    expect(errnoOf(() => qmMb(qm, 0, 0, 0, 0))).toBe('EBUSY');
    expect(clock.now() - t).toBeGreaterThanOrEqual(1000);
    expect(io.mailboxes).toHaveLength(0);
    expect(qm.dfx.mbErrCnt).toBe(1);
    expect(qm.mailboxLock.locked).toBe(false);
  });

  it('no completion → ETIMEDOUT; error status → EIO', () => {
    const { io, qm } = setup();
    io.mbStuck = true;
    expect(errnoOf(() => qmMb(qm, 0, 0, 0, 0))).toBe('ETIMEDOUT');
    io.mbStuck = false;
    io.regs.set(0x300, 0);
    io.mbStatus = 3;
    expect(errnoOf(() => qmMb(qm, 0, 0, 0, 0))).toBe('EIO');
    expect(qm.dfx.mbErrCnt).toBe(2);
  });

  it('a re-entrant command on the same function fails with EBUSY', () => {
    const { qm, clock } = setup();
    let inner: string | undefined;
    clock.after(3, () => {
      inner = errnoOf(() => qmMb(qm, 0, 0, 0, 0));
    });
    qmMb(qm, 0, 0, 0, 0);
    expect(inner).toBe('EBUSY');
  });
});

describe('doorbells (register-file fake)', () => {
  it('V1: one writeq at 0x340 with qn | cmd<<16 | index<<32 | prio<<48', () => {
    const { io, qm } = setup(QM_HW_V1);
    qmDb(qm, 3, QM_DOORBELL_CMD_CQ, 0x1ff, 1);
    expect(io.writeqs).toEqual([{ offset: 0x340, lo: 3 | (1 << 16), hi: 0x1ff | (1 << 16) }]);
  });

  it('V2: SQ/CQ at 0x1000 in BAR2 (no isolation), EQ/AEQ at 0x2000', () => {
    const { io, qm } = setup(QM_HW_V2);
    qmDb(qm, 5, QM_DOORBELL_CMD_SQ, 9, 0);
    qmDb(qm, 0, QM_DOORBELL_CMD_EQ, 17, 0);
    expect(io.writeqs).toEqual([
      { offset: 0x1000, lo: 5, hi: 9 },
      { offset: 0x2000, lo: 2 << 12, hi: 17 },
    ]);
  });

  it('V3 with isolation: SQ/CQ in BAR4 at qn × 0x10000 + 0x1000', () => {
    const clock = new VirtualClock();
    const io = new FakeQmRegion(clock);
    const bar4 = new FakeQmRegion(clock, 0x1000000);
    const qm = new HisiQm({
      ioBase: io,
      dbIoBase: bar4,
      useDbIsolation: true,
      clock,
      funType: 'VF',
      ver: QM_HW_V3,
    });
    qmDb(qm, 2, QM_DOORBELL_CMD_CQ, 4, 1);
    expect(bar4.writeqs).toEqual([{ offset: 0x21000, lo: 2 | (1 << 12), hi: 4 | (1 << 16) }]);
    expect(io.writeqs).toEqual([]);
  });
});

describe('VFT (register-file fake)', () => {
  it('programs SQC then CQC with the RDY handshake and reads back', () => {
    const { io, qm } = setup(QM_HW_V3, 'PF');
    qm.ctrlQpNum = 1024;
    qmSetVft(qm, 2, 300, 7);
    expect(io.vft.get('0:2')).toEqual([((300 & 0xf) << 28) >>> 0, (300 >>> 4) | (1 << 12) | (6 << 13)]);
    expect(io.vft.get('1:2')).toEqual([1 << 28, 0]);
    expect(qmGetVft(qm, 2)).toEqual({ base: 300, number: 7 });
  });

  it('range beyond ctrl_qp_num → EINVAL, nothing written', () => {
    const { io, qm } = setup(QM_HW_V3, 'PF');
    qm.ctrlQpNum = 64;
    expect(errnoOf(() => qmSetVft(qm, 1, 60, 5))).toBe('EINVAL');
    expect(io.log).toEqual([]);
  });

  it('RDY never comes → ETIMEDOUT', () => {
    const { io, qm } = setup(QM_HW_V3, 'PF');
    qm.ctrlQpNum = 64;
    io.regs.set(0x10006c, 0);
    expect(errnoOf(() => qmSetVft(qm, 1, 0, 5))).toBe('ETIMEDOUT');
    expect(io.log).toEqual([]);
  });

  it('qm_vf_q_assign: the last VF first, at the PF’s end, with the remainder', () => {
    const { qm } = setup(QM_HW_V3, 'PF');
    qm.ctrlQpNum = 1024;
    qm.maxQpNum = 1024;
    qm.qpNum = 256;
    expect(qmVfQAssign(qm, 3)).toEqual([
      { base: 768, number: 256 },
      { base: 512, number: 256 },
      { base: 256, number: 256 },
    ]);
    qm.qpNum = 254;
    expect(qmVfQAssign(qm, 3)).toEqual([
      { base: 768, number: 256 },
      { base: 512, number: 256 },
      { base: 254, number: 258 },
    ]);
  });
});

describe('cache write-back (register-file fake)', () => {
  it('writes 0x204 and polls 0x208; stuck → ETIMEDOUT', () => {
    const { io, qm } = setup();
    qmCacheWb(qm);
    expect(io.log).toEqual(['w4@0x204=1']);
    io.cacheWbStuck = true;
    expect(errnoOf(() => qmCacheWb(qm))).toBe('ETIMEDOUT');
  });
});
