import { deflateRawSync } from 'node:zlib';
import { GuestMemory, IdentityDmaPort, VirtualClock } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import type { QmFunction } from '../device/qm-function.js';
import { QM_DOORBELL_CMD_SQ } from '../regs/doorbell.js';
import { QM_MB_CMD_CQC_BT, QM_MB_CMD_PAUSE_QM, QM_MB_CMD_SQC_BT } from '../regs/mailbox.js';
import {
  QM_AEQC_DW0,
  QM_EQC_DW0,
  QM_IFC_INT_MASK,
  QM_IFC_INT_SET_V,
  QM_IFC_INT_SOURCE_V,
  QM_PAGE_SIZE,
  QM_QUE_ISO_CFG_V,
  QM_VF_AEQ_INT_MASK,
  QM_VF_EQ_INT_MASK,
  QM_VF_STATE,
} from '../regs/registers.js';
import { QM_SQE_OP_ZIP_DEFLATE, QM_SQE_STATUS_OK } from '../regs/sqe.js';
import { guestOptions, probeGuest, zipHost } from './__fixtures__/zip-host.js';
import { qmCacheWb } from './cache-wb.js';
import { qmWaitDevReady } from './dev-ready.js';
import { qmDb } from './doorbell.js';
import { GuestVfDriver } from './guest-vf-driver.js';
import type { HisiQm } from './hisi-qm.js';
import { qmCheckIntState } from './int-state.js';
import { qmMb, qmMbRead, qmWaitMbReady } from './mailbox.js';
import { qmGetVft } from './vft.js';

const SAVED_REGS = [
  QM_VF_AEQ_INT_MASK,
  QM_VF_EQ_INT_MASK,
  QM_IFC_INT_SOURCE_V,
  QM_IFC_INT_MASK,
  QM_IFC_INT_SET_V,
  QM_PAGE_SIZE,
];

/** What the vfio variant driver saves (§3.8, v6.16 order), done with the library. */
function save(vfQm: HisiQm, pfQm: HisiQm) {
  qmMb(vfQm, QM_MB_CMD_PAUSE_QM, 0, 0, 0);
  qmCheckIntState(vfQm, pfQm);
  qmCacheWb(vfQm);
  qmWaitDevReady(vfQm);
  const regs = SAVED_REGS.map((r) => vfQm.ioBase.readl(r));
  const eqc = Array.from({ length: 7 }, (_, i) => vfQm.ioBase.readl(QM_EQC_DW0 + 4 * i));
  const aeqc = Array.from({ length: 7 }, (_, i) => vfQm.ioBase.readl(QM_AEQC_DW0 + 4 * i));
  return {
    qp: qmGetVft(vfQm),
    isoCfg: pfQm.ioBase.readl(QM_QUE_ISO_CFG_V),
    regs,
    eqc,
    aeqc,
    sqcDma: qmMbRead(vfQm, QM_MB_CMD_SQC_BT, 0),
    cqcDma: qmMbRead(vfQm, QM_MB_CMD_CQC_BT, 0),
  };
}

/** What the vfio variant driver restores and how it restarts the VF (§3.8). */
function loadAndStart(vfQm: HisiQm, s: ReturnType<typeof save>) {
  expect(qmGetVft(vfQm).number).toBe(s.qp.number);
  vfQm.ioBase.writel(QM_VF_STATE, 0);
  qmWaitMbReady(vfQm);
  SAVED_REGS.forEach((r, i) => {
    vfQm.ioBase.writel(r, s.regs[i] as number);
  });
  vfQm.ioBase.writel(QM_QUE_ISO_CFG_V, s.isoCfg);
  s.eqc.forEach((v, i) => {
    vfQm.ioBase.writel(QM_EQC_DW0 + 4 * i, v);
  });
  s.aeqc.forEach((v, i) => {
    vfQm.ioBase.writel(QM_AEQC_DW0 + 4 * i, v);
  });
  qmMb(vfQm, QM_MB_CMD_SQC_BT, s.sqcDma, 0, 0);
  qmMb(vfQm, QM_MB_CMD_CQC_BT, s.cqcDma, 0, 0);
  vfQm.ioBase.writel(QM_IFC_INT_SOURCE_V, 1);
  vfQm.ioBase.writel(QM_IFC_INT_MASK, 0);
  for (let i = 0; i < s.qp.number; i++) qmDb(vfQm, i, QM_DOORBELL_CMD_SQ, 0, 1);
}

function copyMemory(from: GuestMemory, to: GuestMemory): void {
  for (const page of from.touchedPages()) to.write(page * 4096, from.readBytes(page * 4096, 4096));
}

describe('GuestVfDriver across a live migration', () => {
  it('jobs queued on the source complete on the destination; the resumed driver keeps submitting', () => {
    const clock = new VirtualClock();
    const src = zipHost({ numVfs: 2, clock });
    const drv = probeGuest(src.vf, src.memory, clock);
    const inputs = Array.from({ length: 7 }, (_, i) => new TextEncoder().encode(`job ${i} `.repeat(200 + i)));
    for (const input of inputs.slice(0, 2)) drv.submit({ opcode: QM_SQE_OP_ZIP_DEFLATE, input });
    clock.runUntilIdle();
    // Pause first so the next jobs stay queued in the hardware, as a stopped vCPU sees them.
    // A job that completes into guest memory while the vCPUs are already stopped: no interrupt seen.
    src.vf.setInterruptHandler(undefined);
    drv.submit({ opcode: QM_SQE_OP_ZIP_DEFLATE, input: inputs[2] as Uint8Array });
    clock.runUntilIdle();
    const srcVfQm = src.pf.vfQm(0);
    qmMb(srcVfQm, QM_MB_CMD_PAUSE_QM, 0, 0, 0);
    for (const input of inputs.slice(3, 5)) drv.submit({ opcode: QM_SQE_OP_ZIP_DEFLATE, input });
    clock.runUntilIdle();
    expect(drv.completed).toHaveLength(2);
    const saved = save(srcVfQm, src.pf.pfQm);

    const dst = zipHost({ numVfs: 2, clock });
    const dstMemory = new GuestMemory(src.memory.size);
    copyMemory(src.memory, dstMemory);
    const dstVf = dst.vf as QmFunction;
    dstVf.setDmaPort(new IdentityDmaPort(dstMemory));
    const resumed = GuestVfDriver.resume(guestOptions(dstVf, dstMemory, clock));
    dstVf.setInterruptHandler((v) => resumed.handleInterrupt(v));
    loadAndStart(dst.pf.vfQm(0), saved);
    expect(resumed.poll()).toBe(1);
    for (const input of inputs.slice(5)) resumed.submit({ opcode: QM_SQE_OP_ZIP_DEFLATE, input });
    clock.runUntilIdle();

    expect(resumed.completed.map((r) => r.jobId)).toEqual([3, 4, 5, 6, 7]);
    for (const r of resumed.completed) {
      expect(r.status).toBe(QM_SQE_STATUS_OK);
      expect(Buffer.from(r.output)).toEqual(deflateRawSync(inputs[r.jobId - 1] as Uint8Array));
    }
    expect(resumed.inFlight).toBe(0);
  });
});
