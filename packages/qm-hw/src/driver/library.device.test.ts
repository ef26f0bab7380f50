import { errnoOf, GuestMemory, IdentityDmaPort, VirtualClock } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { QmDevice } from '../device/qm-device.js';
import type { QmFunction } from '../device/qm-function.js';
import { QM_MB_CMD_CQC_BT, QM_MB_CMD_SQC_BT } from '../regs/mailbox.js';
import { QM_SQE_OP_ZIP_DEFLATE, QM_SQE_SIZE, qm_sqe } from '../regs/sqe.js';
import { QM_HW_V1, QM_HW_V2 } from '../regs/versions.js';
import { probeGuest, zipHost } from './__fixtures__/zip-host.js';
import { qmCacheWb } from './cache-wb.js';
import { qmWaitDevReady } from './dev-ready.js';
import { HisiQm } from './hisi-qm.js';
import { CHECK_DELAY_TIME, ERROR_CHECK_TIMEOUT, qmCheckIntState } from './int-state.js';
import { qmMb, qmMbRead } from './mailbox.js';
import { PfDriver } from './pf-driver.js';
import { hisiQmCreateQp, hisiQmStartQp, hisiQpSend } from './qp.js';
import { pfQmGetQpNum, qmGetVft } from './vft.js';

/** The host-side view of VF0 (mailbox only), as the vfio driver has it. */
function hostSide() {
  const h = zipHost();
  const vfQm = h.pf.vfQm(0);
  return { ...h, vfQm };
}

function stateOf(f: QmFunction) {
  const s = f.snapshot();
  return { identity: s.identity, state: s.state };
}

describe('mailbox against the device', () => {
  it('SQC_BT/CQC_BT write then read back the same addresses', () => {
    const { vfQm } = hostSide();
    qmMb(vfQm, QM_MB_CMD_SQC_BT, 0x12_3400n, 0, 0);
    qmMb(vfQm, QM_MB_CMD_CQC_BT, 0x1_0000_5600, 0, 0);
    expect(qmMbRead(vfQm, QM_MB_CMD_SQC_BT, 0)).toBe(0x12_3400n);
    expect(qmMbRead(vfQm, QM_MB_CMD_CQC_BT, 0)).toBe(0x1_0000_5600n);
  });

  it('the device receives the kernel mailbox word: cmd | op << 14 | queue << 16, base halves', () => {
    const { vf, vfQm } = hostSide();
    qmMb(vfQm, QM_MB_CMD_CQC_BT, 0x2_0000_1000n, 3, 0);
    const [w0, lo, hi] = vf.snapshot().transient.mailbox;
    expect(((w0 as number) & 0xff) | (((w0 as number) >>> 16) << 16)).toBe(QM_MB_CMD_CQC_BT | (3 << 16));
    expect(((w0 as number) >>> 13) & 1).toBe(0);
    expect([lo, hi]).toEqual([0x1000, 2]);
    qmMbRead(vfQm, QM_MB_CMD_CQC_BT, 0);
    expect(((vf.snapshot().transient.mailbox[0] as number) >>> 14) & 1).toBe(1);
  });

  it('stuck busy: ETIMEDOUT for the command that hangs, EBUSY for the next; state unchanged', () => {
    const { vf, vfQm, clock } = hostSide();
    const before = stateOf(vf);
    vf.faults.inject({ kind: 'mb-stuck-busy' });
    const t0 = clock.now();
    expect(errnoOf(() => qmMb(vfQm, QM_MB_CMD_SQC_BT, 0x5000, 0, 0))).toBe('ETIMEDOUT');
    expect(clock.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(errnoOf(() => qmMb(vfQm, QM_MB_CMD_SQC_BT, 0x6000, 0, 0))).toBe('EBUSY');
    expect(errnoOf(() => qmMbRead(vfQm, QM_MB_CMD_SQC_BT, 0))).toBe('EBUSY');
    expect(vfQm.dfx.mbErrCnt).toBe(3);
    expect(vfQm.mailboxLock.locked).toBe(false);
    expect(stateOf(vf)).toEqual(before);
  });

  it('error status: EIO and the command is not applied', () => {
    const { vf, vfQm } = hostSide();
    const before = stateOf(vf);
    vf.faults.inject({ kind: 'mb-error', status: 2 });
    expect(errnoOf(() => qmMb(vfQm, QM_MB_CMD_SQC_BT, 0x7000, 0, 0))).toBe('EIO');
    expect(stateOf(vf)).toEqual(before);
    vf.faults.clear();
    qmMb(vfQm, QM_MB_CMD_SQC_BT, 0x7000, 0, 0);
    expect(vf.snapshot().state.sqcBt).toBe('0x7000');
  });
});

describe('VFT against the device', () => {
  it('PF programs a range, the VF reads it by mailbox, the PF by VFT registers', () => {
    const { pf, device } = zipHost({ numVfs: 3 });
    const vf2 = pf.vfQm(1);
    expect(qmGetVft(vf2)).toEqual(pf.vfRanges[1]);
    pf.setVfRange(2, 900, 17);
    expect(qmGetVft(vf2)).toEqual({ base: 900, number: 17 });
    expect(pfQmGetQpNum(pf.pfQm, 2)).toEqual({ base: 900, number: 17 });
    expect(device.vfs[1]?.snapshot().identity.qpBase).toBe(900);
    expect(qmGetVft(pf.pfQm)).toEqual({ base: 0, number: 64 });
  });

  it('ranges follow qm_vf_q_assign: PF 64, the rest shared, the last VF lowest with the remainder', () => {
    const { pf } = zipHost({ numVfs: 3 });
    expect(pf.vfRanges).toEqual([
      { base: 64 + 320 + 320, number: 320 },
      { base: 64 + 320, number: 320 },
      { base: 64, number: 320 },
    ]);
  });
});

describe('cache write-back, device ready and interrupt state against the device', () => {
  it('cache write-back completes; stuck → ETIMEDOUT with state unchanged', () => {
    const { vf, vfQm } = hostSide();
    qmCacheWb(vfQm);
    const before = stateOf(vf);
    vf.faults.inject({ kind: 'cache-wb-stuck' });
    expect(errnoOf(() => qmCacheWb(vfQm))).toBe('ETIMEDOUT');
    expect(stateOf(vf)).toEqual(before);
  });

  it('QM_VF_STATE: not ready until the guest driver starts; the fault keeps it not ready', () => {
    const { vf, vfQm, memory, clock } = hostSide();
    vf.bar2.writel(0x60, 1);
    expect(errnoOf(() => qmWaitDevReady(vfQm))).toBe('ETIMEDOUT');
    probeGuest(vf, memory, clock);
    expect(errnoOf(() => qmWaitDevReady(vfQm))).toBeUndefined();
    vf.faults.inject({ kind: 'vf-not-ready' });
    expect(errnoOf(() => qmWaitDevReady(vfQm))).toBe('ETIMEDOUT');
  });

  it('quiescent: passes at once', () => {
    const { pf, vfQm, clock } = hostSide();
    const t0 = clock.now();
    qmCheckIntState(vfQm, pf.pfQm);
    expect(clock.now()).toBe(t0);
  });

  for (const [fault, where] of [
    ['ras-pending', 'pf'],
    ['ifc-pending', 'vf'],
    ['engine-busy', 'vf'],
  ] as const) {
    it(`${fault}: EBUSY after 100 × 100 µs = 10 ms, registers untouched`, () => {
      const { pf, vf, vfQm, clock, device } = hostSide();
      (where === 'pf' ? device.pf : vf).faults.inject({ kind: fault });
      const before = stateOf(vf);
      const pfBefore = stateOf(device.pf);
      const t0 = clock.now();
      expect(errnoOf(() => qmCheckIntState(vfQm, pf.pfQm))).toBe('EBUSY');
      expect(clock.now() - t0).toBe(ERROR_CHECK_TIMEOUT * CHECK_DELAY_TIME);
      expect(stateOf(vf)).toEqual(before);
      expect(stateOf(device.pf)).toEqual(pfBefore);
    });
  }

  it('a pending state that clears within the retries passes', () => {
    const { pf, vf, vfQm, clock } = hostSide();
    vf.faults.inject({ kind: 'ifc-pending' });
    clock.after(2500, () => vf.faults.clear('ifc-pending'));
    qmCheckIntState(vfQm, pf.pfQm);
    expect(clock.now()).toBeGreaterThanOrEqual(2500);
  });

  it('unknown VF device id → EINVAL', () => {
    const { pf, vf, clock } = hostSide();
    const odd = new HisiQm({ ioBase: vf.bar2, clock, funType: 'VF', ver: 0x30, deviceId: 0x1234 });
    expect(errnoOf(() => qmCheckIntState(odd, pf.pfQm))).toBe('EINVAL');
  });
});

describe('doorbells against the device', () => {
  function pfQueue(version: 0x20 | 0x21) {
    const clock = new VirtualClock();
    const device = new QmDevice({ kind: 'zip', clock, version });
    const memory = new GuestMemory(8 << 20);
    const pf = PfDriver.probe({ device, clock, numVfs: 0, memory });
    device.pf.setDmaPort(new IdentityDmaPort(memory));
    const qm = pf.pfQm;
    const qp = hisiQmCreateQp(qm, 0, 0x40_0000, 0x50_0000);
    hisiQmStartQp(qp);
    return { clock, device, qm, qp, memory };
  }

  for (const version of [QM_HW_V1, QM_HW_V2] as const) {
    it(`V${version === QM_HW_V1 ? 1 : 2}: the SQ doorbell reaches queue 0 and the job runs`, () => {
      const { clock, device, qp, memory } = pfQueue(version);
      const sqe = qm_sqe.zero();
      sqe.opcode = QM_SQE_OP_ZIP_DEFLATE;
      sqe.src_addr = 0x60_0000n;
      sqe.src_len = 4;
      sqe.dst_addr = 0x61_0000n;
      sqe.dst_len = 64;
      memory.write(0x60_0000, Uint8Array.of(1, 2, 3, 4));
      hisiQpSend(qp, qm_sqe.encode(sqe));
      clock.runUntilIdle();
      const q = device.pf.snapshot().state.queues.find((x) => x.qn === 0);
      expect(q?.sqc?.tail).toBe(1);
      expect(memory.readU32(0x40_0000 + qm_sqe.offsetOf('out_len'))).toBeGreaterThan(0);
      expect(QM_SQE_SIZE).toBe(128);
    });
  }
});
