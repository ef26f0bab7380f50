import { errnoOf, MemoryTraceSink, Tracer, VirtualClock, writeq } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import {
  QM_DOORBELL_CMD_AEQ,
  QM_DOORBELL_CMD_CQ,
  QM_DOORBELL_CMD_EQ,
  QM_DOORBELL_CMD_SQ,
  qmDbV1,
  qmDbV2,
} from '../regs/doorbell.js';
import { QM_ABNORMAL_INT_MASK_VALUE } from '../regs/hw-error.js';
import {
  HPRE_HAC_INT_STATUS,
  HZIP_CORE_INT_STATUS,
  QM_ABNORMAL_INT_MASK,
  QM_ABNORMAL_INT_SET,
  QM_ABNORMAL_INT_SOURCE,
  QM_ABNORMAL_INT_STATUS,
  QM_CACHE_WB_DONE,
  QM_CACHE_WB_START,
  QM_CAPBILITY,
  QM_DOORBELL_BASE_V1,
  QM_DOORBELL_EQ_AEQ_BASE_V2,
  QM_DOORBELL_SQ_CQ_BASE_V2,
  QM_IFC_INT_MASK,
  QM_IFC_INT_SOURCE_V,
  QM_IFC_INT_STATUS,
  QM_MEM_INIT_DONE,
  QM_MEM_START_INIT,
  QM_PAGE_SIZE,
  QM_QP_DB_INTERVAL,
  QM_QUE_ISO_CFG_V,
  QM_QUE_ISO_EN,
  QM_VF_AEQ_INT_MASK,
  QM_VF_AEQ_INT_SOURCE,
  QM_VF_EQ_INT_MASK,
  QM_VF_EQ_INT_SOURCE,
  QM_VF_STATE,
  QM_VFT_CFG_OP_ENABLE,
  QM_VFT_CFG_RDY,
  SEC_CORE_INT_STATUS,
} from '../regs/registers.js';
import {
  PCI_DEVICE_ID_HUAWEI_SEC_PF,
  PCI_DEVICE_ID_HUAWEI_SEC_VF,
  PCI_VENDOR_ID_HUAWEI,
  QM_ABNORMAL_EVENT_IRQ_VECTOR,
  QM_EQ_EVENT_IRQ_VECTOR,
  QM_HW_V1,
  QM_HW_V3,
} from '../regs/versions.js';
import { DEPTH, layout, makeDevice, putSqe, startFunction } from './__fixtures__/qm-setup.js';
import { QmDevice } from './qm-device.js';

const VF0 = 0x100_0000;

describe('identity and SR-IOV', () => {
  it('PF and VFs carry the PCI ids and sizes', () => {
    const clock = new VirtualClock();
    const dev = new QmDevice({ kind: 'sec', clock });
    expect(dev.version).toBe(QM_HW_V3);
    expect(dev.pf.pci).toEqual({
      vendorId: PCI_VENDOR_ID_HUAWEI,
      deviceId: PCI_DEVICE_ID_HUAWEI_SEC_PF,
      revision: 0x30,
      isVirtfn: false,
    });
    const vfs = dev.sriovEnable(2);
    expect(vfs.map((v) => v.pci)).toEqual(
      [0, 1].map((i) => ({
        vendorId: PCI_VENDOR_ID_HUAWEI,
        deviceId: PCI_DEVICE_ID_HUAWEI_SEC_VF,
        revision: 0x30,
        isVirtfn: true,
        vfIndex: i,
      })),
    );
    expect(vfs[0]!.bar2.size).toBe(0x10000);
    expect(dev.pf.bar2.size).toBeGreaterThan(HZIP_CORE_INT_STATUS);
    expect(vfs[1]!.bar4.size % QM_QP_DB_INTERVAL).toBe(0);
    expect(dev.vfs).toHaveLength(2);
    expect(dev.functionByNumber(2)).toBe(vfs[1]);
  });

  it('rejects bad VF counts and double enable without changing the VFs', () => {
    const dev = new QmDevice({ kind: 'zip', clock: new VirtualClock() });
    expect(errnoOf(() => dev.sriovEnable(64))).toBe('EINVAL');
    expect(errnoOf(() => dev.sriovEnable(-1))).toBe('EINVAL');
    expect(dev.vfs).toHaveLength(0);
    dev.sriovEnable(3);
    expect(errnoOf(() => dev.sriovEnable(2))).toBe('EBUSY');
    expect(dev.vfs).toHaveLength(3);
    dev.sriovEnable(0);
    expect(dev.vfs).toHaveLength(0);
    const v1 = new QmDevice({ kind: 'zip', clock: new VirtualClock(), version: QM_HW_V1 });
    expect(errnoOf(() => v1.sriovEnable(1))).toBe('EINVAL');
    expect(
      errnoOf(() => new QmDevice({ kind: 'zip', clock: new VirtualClock(), version: 0x99 as never })),
    ).toBe('EINVAL');
    expect(errnoOf(() => new QmDevice({ kind: 'zip', clock: new VirtualClock(), maxQpNum: 1 }))).toBe(
      'EINVAL',
    );
  });
});

describe('register semantics', () => {
  it('RW registers hold values; unknown offsets read 0 and ignore writes', () => {
    const { vfs } = makeDevice('zip', 1);
    const bar = vfs[0]!.bar2;
    for (const off of [QM_VF_AEQ_INT_MASK, QM_VF_EQ_INT_MASK, QM_IFC_INT_MASK]) {
      expect(bar.readl(off)).toBe(1);
      bar.writel(off, 0);
      expect(bar.readl(off)).toBe(0);
    }
    for (const off of [QM_QUE_ISO_CFG_V, QM_PAGE_SIZE, QM_VF_STATE]) {
      bar.writel(off, 2);
      expect(bar.readl(off)).toBe(2);
    }
    bar.writel(0x44, 0xffff_ffff);
    expect(bar.readl(0x44)).toBe(0);
    expect(bar.readl(0x7ffc)).toBe(0);
    expect(bar.readl(0x3)).toBe(0);
    expect(bar.readl(0x20000)).toBe(0);
    expect(bar.readl(QM_ABNORMAL_INT_STATUS)).toBe(0);
  });

  it('W1C sources: EQ/AEQ sources clear by writing ones', () => {
    const { vfs } = makeDevice('zip', 1);
    const vf = vfs[0]!;
    vf.eqIntSource = 1;
    vf.aeqIntSource = 1;
    vf.bar2.writel(QM_VF_EQ_INT_SOURCE, 0);
    expect(vf.bar2.readl(QM_VF_EQ_INT_SOURCE)).toBe(1);
    vf.bar2.writel(QM_VF_EQ_INT_SOURCE, 1);
    vf.bar2.writel(QM_VF_AEQ_INT_SOURCE, 1);
    expect(vf.bar2.readl(QM_VF_EQ_INT_SOURCE)).toBe(0);
    expect(vf.bar2.readl(QM_VF_AEQ_INT_SOURCE)).toBe(0);
  });

  it('IFC status = source & ~mask', () => {
    const { vfs } = makeDevice('zip', 1);
    const vf = vfs[0]!;
    vf.ifcIntSource = 1;
    expect(vf.bar2.readl(QM_IFC_INT_STATUS)).toBe(0);
    vf.bar2.writel(QM_IFC_INT_MASK, 0);
    expect(vf.bar2.readl(QM_IFC_INT_STATUS)).toBe(1);
    vf.bar2.writel(QM_IFC_INT_SOURCE_V, 1);
    expect(vf.bar2.readl(QM_IFC_INT_STATUS)).toBe(0);
  });

  it('sub-dword and 8-byte reads are assembled from dwords', () => {
    const { vfs } = makeDevice('zip', 1);
    const bar = vfs[0]!.bar2;
    bar.writel(QM_PAGE_SIZE, 0x1122_3344);
    const b = new Uint8Array(2);
    bar.read(QM_PAGE_SIZE + 1, b);
    expect([...b]).toEqual([0x33, 0x22]);
    const q = new Uint8Array(8);
    bar.read(QM_QUE_ISO_CFG_V, q);
    expect([...q.subarray(4)]).toEqual([0x44, 0x33, 0x22, 0x11]);
    bar.write(QM_PAGE_SIZE, Uint8Array.of(1));
    expect(bar.readl(QM_PAGE_SIZE)).toBe(0x1122_3344);
  });

  it('cache write-back: START clears DONE, DONE rises after the latency and contexts land in the base tables', () => {
    const { clock, mem, vfs } = makeDevice('zip', 1, 4, { latencies: { cacheWbUs: 40 } });
    const vf = vfs[0]!;
    startFunction(clock, mem, vf, VF0, 2);
    putSqe(mem, VF0, 1, 0, { opcode: 1 });
    const d = qmDbV2(1, QM_DOORBELL_CMD_SQ, 1, 0);
    vf.paused = true; // keep the SQE unfetched so the written-back tail is visible
    writeq(vf.bar2, QM_DOORBELL_SQ_CQ_BASE_V2, d.lo, d.hi);
    vf.bar2.writel(QM_CACHE_WB_START, 1);
    expect(vf.bar2.readl(QM_CACHE_WB_DONE)).toBe(0);
    clock.udelay(39);
    expect(vf.bar2.readl(QM_CACHE_WB_DONE)).toBe(0);
    clock.udelay(1);
    expect(vf.bar2.readl(QM_CACHE_WB_DONE)).toBe(1);
    expect(mem.readU16(layout(VF0).sqcBt + 32 + 2)).toBe(1);
    expect(mem.readU32(layout(VF0).sqcBt + 32 + 4)).toBe(layout(VF0).sq(1));
  });

  it('PF-only registers: RAS source/mask/status/set, memory init, capability, isolation, engine status', () => {
    const clock = new VirtualClock();
    const dev = new QmDevice({ kind: 'hpre', clock, dbIsolation: true, maxQpNum: 512, maxQpPerFun: 64 });
    const irqs: number[] = [];
    dev.pf.setInterruptHandler((v) => irqs.push(v));
    const bar = dev.pf.bar2;
    expect(bar.readl(QM_ABNORMAL_INT_MASK)).toBe(QM_ABNORMAL_INT_MASK_VALUE); // reset: all masked
    bar.writel(QM_ABNORMAL_INT_SET, 0x4);
    expect(bar.readl(QM_ABNORMAL_INT_SOURCE)).toBe(0x4);
    expect(bar.readl(QM_ABNORMAL_INT_STATUS)).toBe(0);
    clock.udelay(5);
    expect(irqs).toEqual([]);
    bar.writel(QM_ABNORMAL_INT_MASK, 0);
    bar.writel(QM_ABNORMAL_INT_SET, 0x4);
    expect(bar.readl(QM_ABNORMAL_INT_STATUS)).toBe(0x4);
    clock.udelay(5);
    expect(irqs).toEqual([QM_ABNORMAL_EVENT_IRQ_VECTOR]);
    bar.writel(QM_ABNORMAL_INT_MASK, 0x4);
    expect(bar.readl(QM_ABNORMAL_INT_STATUS)).toBe(0);
    bar.writel(QM_ABNORMAL_INT_SOURCE, 0x4);
    expect(bar.readl(QM_ABNORMAL_INT_SOURCE)).toBe(0);
    bar.writel(QM_MEM_START_INIT, 1);
    expect(bar.readl(QM_MEM_INIT_DONE)).toBe(0);
    clock.udelay(100);
    expect(bar.readl(QM_MEM_INIT_DONE)).toBe(1);
    expect(bar.readl(QM_CAPBILITY)).toBe(512 | (64 << 11));
    expect(bar.readl(QM_QUE_ISO_EN)).toBe(1);
    expect(bar.readl(QM_QUE_ISO_CFG_V)).toBe(1);
    expect(bar.readl(HPRE_HAC_INT_STATUS)).toBe(0);
    dev.sriovEnable(1)[0]!.faults.inject({ kind: 'engine-busy' });
    expect(bar.readl(HPRE_HAC_INT_STATUS)).toBe(1);
    expect(bar.readl(SEC_CORE_INT_STATUS)).toBe(0);
  });

  it('VFT handshake: RDY drops while the operation runs; read-back through DATA_L/H', () => {
    const { clock, dev } = makeDevice('zip', 2, 4);
    const bar = dev.pf.bar2;
    expect(bar.readl(QM_VFT_CFG_RDY)).toBe(1);
    bar.writel(0x100058, 1); // OP_WR = read
    bar.writel(0x10005c, 0);
    bar.writel(0x100060, 2);
    bar.writel(QM_VFT_CFG_RDY, 0);
    bar.writel(QM_VFT_CFG_OP_ENABLE, 1);
    expect(bar.readl(QM_VFT_CFG_RDY)).toBe(0);
    clock.udelay(10);
    expect(bar.readl(QM_VFT_CFG_RDY)).toBe(1);
    const lo = bar.readl(0x100064);
    const hi = bar.readl(0x100068);
    expect(((hi * 2 ** 32 + lo) / 2 ** 28) & 0xffff).toBe(8);
    expect(dev.vft.range(2)).toEqual({ base: 8, number: 4 });
  });
});

describe('doorbells', () => {
  it('EQ doorbell acknowledges; a doorbell short of the tail raises the interrupt again', () => {
    const { clock, mem, vfs } = makeDevice('zip', 1);
    const vf = vfs[0]!;
    startFunction(clock, mem, vf, VF0, 1);
    const irqs: number[] = [];
    vf.setInterruptHandler((v) => irqs.push(v));
    putSqe(mem, VF0, 0, 0, { opcode: 1 });
    putSqe(mem, VF0, 0, 1, { opcode: 1 });
    const d = qmDbV2(0, QM_DOORBELL_CMD_SQ, 2, 0);
    writeq(vf.bar2, QM_DOORBELL_SQ_CQ_BASE_V2, d.lo, d.hi);
    clock.runUntilIdle();
    expect(vf.eq.tail).toBe(2);
    expect(irqs).toEqual([0, 0]);
    const e1 = qmDbV2(0, QM_DOORBELL_CMD_EQ, 1, 0);
    writeq(vf.bar2, QM_DOORBELL_EQ_AEQ_BASE_V2, e1.lo, e1.hi);
    clock.runUntilIdle();
    expect(irqs).toEqual([0, 0, QM_EQ_EVENT_IRQ_VECTOR]);
    expect(vf.bar2.readl(QM_VF_EQ_INT_SOURCE)).toBe(1);
    const e2 = qmDbV2(0, QM_DOORBELL_CMD_EQ, 2, 0);
    writeq(vf.bar2, QM_DOORBELL_EQ_AEQ_BASE_V2, e2.lo, e2.hi);
    expect(vf.bar2.readl(QM_VF_EQ_INT_SOURCE)).toBe(0);
    expect(vf.eq.head).toBe(2);
    const c = qmDbV2(0, QM_DOORBELL_CMD_CQ, 2, 1);
    writeq(vf.bar2, QM_DOORBELL_SQ_CQ_BASE_V2, c.lo, c.hi);
    expect(vf.queueFor(0)!.cqHead).toBe(2);
    const a = qmDbV2(0, QM_DOORBELL_CMD_AEQ, 0, 0);
    writeq(vf.bar2, QM_DOORBELL_EQ_AEQ_BASE_V2, a.lo, a.hi);
    expect(vf.aeq.head).toBe(0);
  });

  it('doorbells need an 8-byte write at the right base; 4-byte writes and wrong bases are ignored', () => {
    const { clock, mem, vfs } = makeDevice('zip', 1);
    const vf = vfs[0]!;
    startFunction(clock, mem, vf, VF0, 1);
    const d = qmDbV2(0, QM_DOORBELL_CMD_SQ, 3, 0);
    vf.bar2.writel(QM_DOORBELL_SQ_CQ_BASE_V2, d.lo);
    vf.bar2.writel(QM_DOORBELL_SQ_CQ_BASE_V2 + 4, d.hi);
    writeq(vf.bar2, QM_DOORBELL_EQ_AEQ_BASE_V2, d.lo, d.hi); // SQ cmd at the EQ base
    writeq(vf.bar2, QM_DOORBELL_BASE_V1, d.lo, d.hi); // V1 base on V3
    expect(vf.queueFor(0)!.sqTail).toBe(0);
  });

  it('BAR4 isolation pages take SQ/CQ doorbells at qn × 0x10000 + 0x1000', () => {
    const { clock, mem, vfs } = makeDevice('zip', 1, 4, { dbIsolation: true });
    const vf = vfs[0]!;
    startFunction(clock, mem, vf, VF0, 2);
    vf.paused = true;
    const d = qmDbV2(1, QM_DOORBELL_CMD_SQ, 5, 0);
    writeq(vf.bar4, QM_QP_DB_INTERVAL + QM_DOORBELL_SQ_CQ_BASE_V2, d.lo, d.hi);
    expect(vf.queueFor(1)!.sqTail).toBe(5);
    expect(vf.bar4.readl(0x1000)).toBe(0);
    writeq(vf.bar4, 0x1008, d.lo, d.hi);
    expect(vf.queueFor(1)!.sqTail).toBe(5);
  });

  it('V1 hardware decodes the V1 doorbell at 0x340', () => {
    const clock = new VirtualClock();
    const dev = new QmDevice({ kind: 'zip', clock, version: QM_HW_V1 });
    const d = qmDbV1(0, QM_DOORBELL_CMD_EQ, 7, 0);
    writeq(dev.pf.bar2, QM_DOORBELL_BASE_V1, d.lo, d.hi);
    expect(dev.pf.eq.head).toBe(7);
    expect(DEPTH).toBe(16);
  });
});

describe('tracing', () => {
  it('mailbox, doorbells, jobs and faults show up as events', () => {
    const clock = new VirtualClock();
    const sink = new MemoryTraceSink();
    const { mem, vfs } = makeDevice('zip', 1, 4, { tracer: Tracer.create(clock, sink, 'host', 'qm') });
    // makeDevice made its own clock; use the device's
    const vf = vfs[0]!;
    startFunction(vf.clock, mem, vf, VF0, 1);
    vf.faults.inject({ kind: 'vf-not-ready' });
    const cats = new Set(sink.events.map((e) => e.category));
    expect(cats.has('qm.mb')).toBe(true);
    expect(cats.has('qm.vft')).toBe(true);
    expect(cats.has('qm.fault')).toBe(true);
  });
});
