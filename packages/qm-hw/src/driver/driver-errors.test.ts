import { fc, test } from '@fast-check/vitest';
import { errnoOf, GuestMemory, IdentityDmaPort, VirtualClock } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { QmDevice } from '../device/qm-device.js';
import { QM_SQE_OP_ZIP_DEFLATE } from '../regs/sqe.js';
import { guestOptions, probeGuest, zipHost } from './__fixtures__/zip-host.js';
import { GuestVfDriver } from './guest-vf-driver.js';
import { qmPingAllVfs, qmPingPf, qmPingSingleVf } from './ifc.js';
import { PfDriver } from './pf-driver.js';
import { hisiQmStart, hisiQmStop } from './qm-start-stop.js';
import { pfQmGetQpNum, qmSetVft } from './vft.js';

describe('PfDriver', () => {
  it('more VFs than free queues → EINVAL from qm_vf_q_assign, no VF created', () => {
    const clock = new VirtualClock();
    const device = new QmDevice({ kind: 'sec', clock, maxQpNum: 66 });
    expect(errnoOf(() => PfDriver.probe({ device, clock, numVfs: 3 }))).toBe('EINVAL');
    expect(device.vfs).toHaveLength(0);
  });

  it('qpPerVf caps each VF; qmFor is the PF qm for existing VFs only', () => {
    const clock = new VirtualClock();
    const device = new QmDevice({ kind: 'hpre', clock });
    const pf = PfDriver.probe({ device, clock, numVfs: 2, qpPerVf: 8 });
    expect(pf.vfRanges).toEqual([
      { base: 72, number: 8 },
      { base: 64, number: 8 },
    ]);
    expect(pf.qmFor(1)).toBe(pf.pfQm);
    expect(errnoOf(() => pf.qmFor(2))).toBe('ENODEV');
    expect(pf.vfQm(0).deviceId).toBe(0xa259);
  });

  test.prop([
    fc.integer({ min: 1, max: 63 }),
    fc.integer({ min: 0, max: 1023 }),
    fc.integer({ min: 1, max: 1024 }),
  ])('any VFT written by the PF reads back through the VFT registers', (fun, base, number) => {
    const clock = new VirtualClock();
    const device = new QmDevice({ kind: 'zip', clock });
    const pf = PfDriver.probe({ device, clock, numVfs: 0 });
    if (base + number > 1024) {
      expect(errnoOf(() => qmSetVft(pf.pfQm, fun, base, number))).toBe('EINVAL');
      return;
    }
    qmSetVft(pf.pfQm, fun, base, number);
    expect(pfQmGetQpNum(pf.pfQm, fun)).toEqual({ base, number });
  });

  it('hisiQmStop on the PF clears its VFT; start again restores it', () => {
    const { pf } = zipHost({ numVfs: 1 });
    hisiQmStop(pf.pfQm);
    expect(pf.pfQm.status.flags).toBe('STOP');
    expect(errnoOf(() => hisiQmStop(pf.pfQm))).toBe('EPERM');
    hisiQmStart(pf.pfQm);
    expect(pfQmGetQpNum(pf.pfQm, 0)).toEqual({ base: 0, number: 64 });
  });
});

describe('GuestVfDriver error paths', () => {
  it('probe with a failing mailbox: the errno, QM_VF_STATE never set ready', () => {
    const { vf, memory, clock } = zipHost();
    vf.bar2.writel(0x60, 1);
    vf.faults.inject({ kind: 'mb-error' });
    expect(errnoOf(() => GuestVfDriver.probe(guestOptions(vf, memory, clock)))).toBe('EIO');
    vf.faults.clear();
    expect(vf.snapshot().state.regs.vfState).toBe(1);
  });

  it('probe into too little guest memory → ENOMEM', () => {
    const { vf, clock } = zipHost();
    const small = new GuestMemory(1 << 20);
    expect(errnoOf(() => GuestVfDriver.probe(guestOptions(vf, small, clock)))).toBe('ENOMEM');
  });

  it('submit: too large → EINVAL, no free buffer → EBUSY, after remove → EAGAIN; state unchanged each time', () => {
    const { vf, memory, clock } = zipHost();
    vf.faults.inject({ kind: 'engine-busy' });
    const drv = probeGuest(vf, memory, clock);
    const st0 = drv.exportState();
    expect(errnoOf(() => drv.submit({ opcode: QM_SQE_OP_ZIP_DEFLATE, input: new Uint8Array(0x8001) }))).toBe(
      'EINVAL',
    );
    expect(drv.exportState()).toEqual(st0);
    for (let i = 0; i < 8; i++) drv.submit({ opcode: QM_SQE_OP_ZIP_DEFLATE, input: new Uint8Array(8) });
    clock.runUntilIdle();
    const st1 = drv.exportState();
    const hw1 = vf.snapshot().state;
    expect(errnoOf(() => drv.submit({ opcode: QM_SQE_OP_ZIP_DEFLATE, input: new Uint8Array(8) }))).toBe(
      'EBUSY',
    );
    expect(drv.exportState()).toEqual(st1);
    expect(vf.snapshot().state).toEqual(hw1);
    drv.remove();
    expect(vf.snapshot().state.regs.vfState).toBe(1);
    expect(errnoOf(() => drv.submit({ opcode: QM_SQE_OP_ZIP_DEFLATE, input: new Uint8Array(8) }))).toBe(
      'EAGAIN',
    );
  });
});

describe('IFC timeouts', () => {
  it('VF → PF with nobody serving the PF: ETIMEDOUT after 41 looks of 10 ms, lock released', () => {
    const { vf, memory, clock, device } = zipHost();
    const drv = probeGuest(vf, memory, clock);
    device.pf.setInterruptHandler(undefined);
    const t0 = clock.now();
    expect(errnoOf(() => qmPingPf(drv.qm, 9))).toBe('ETIMEDOUT');
    expect(clock.now() - t0).toBeGreaterThanOrEqual(41 * 10_000);
    expect(clock.now() - t0).toBeLessThan(41 * 10_000 + 100);
    expect(drv.qm.mailboxLock.locked).toBe(false);
  });

  it('PF → VF without a VF driver: ETIMEDOUT (single VF and broadcast)', () => {
    const { pf } = zipHost();
    expect(errnoOf(() => qmPingSingleVf(pf.pfQm, 8, 5, 1))).toBe('ETIMEDOUT');
    expect(errnoOf(() => qmPingAllVfs(pf.pfQm, 8, 5))).toBe('ETIMEDOUT');
  });

  it('PF → all VFs: each VF driver fetches and acknowledges', () => {
    const { pf, device, clock } = zipHost({ numVfs: 2 });
    const drivers = device.vfs.map((vf) => {
      const mem = new GuestMemory(16 << 20);
      vf.setDmaPort(new IdentityDmaPort(mem));
      return probeGuest(vf, mem, clock);
    });
    qmPingAllVfs(pf.pfQm, 8, 77);
    for (const d of drivers) expect(d.ifcReceived).toEqual([{ cmd: 8, data: 77 }]);
    expect(drivers.map((d) => d.qos)).toEqual([77, 77]);
  });
});
