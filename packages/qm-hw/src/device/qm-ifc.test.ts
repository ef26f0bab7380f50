import { describe, expect, it } from 'vitest';
import { QM_MB_CMD_DST, QM_MB_CMD_SRC, QM_PF_FLR_PREPARE, QM_VF_GET_QOS } from '../regs/mailbox.js';
import {
  QM_IFC_INT_CFG,
  QM_IFC_INT_MASK,
  QM_IFC_INT_SET_P,
  QM_IFC_INT_SET_V,
  QM_IFC_INT_SOURCE_P,
  QM_IFC_INT_SOURCE_V,
  QM_IFC_INT_STATUS,
  QM_IFC_READY_STATUS,
  QM_MB_CMD_DATA_ADDR_L,
} from '../regs/registers.js';
import { QM_CMD_EVENT_IRQ_VECTOR } from '../regs/versions.js';
import { makeDevice, mb } from './__fixtures__/qm-setup.js';

describe('PF ↔ VF communication', () => {
  it('VF → PF: SRC + INT_SET_V raises the PF; DST fetches; SOURCE_P ack releases INT_SET_V', () => {
    const { clock, dev, vfs } = makeDevice('sec', 2);
    const pf = dev.pf;
    const vf = vfs[1]!;
    const pfIrqs: number[] = [];
    pf.setInterruptHandler((v) => pfIrqs.push(v));
    pf.bar2.writel(QM_IFC_INT_MASK, 0);
    mb(clock, vf.bar2, QM_MB_CMD_SRC, 0, 0, QM_VF_GET_QOS);
    vf.bar2.writel(QM_IFC_INT_SET_V, 1);
    clock.udelay(5);
    expect(pfIrqs).toEqual([QM_CMD_EVENT_IRQ_VECTOR]);
    expect(vf.bar2.readl(QM_IFC_INT_SET_V)).toBe(1);
    expect(pf.bar2.readl(QM_IFC_INT_STATUS)).toBe(1);
    expect(pf.bar2.readl(QM_IFC_INT_SOURCE_P)).toBe(1 << 2);
    mb(clock, pf.bar2, QM_MB_CMD_DST, 1, 2);
    expect(pf.bar2.readl(QM_MB_CMD_DATA_ADDR_L)).toBe(QM_VF_GET_QOS);
    const ack = new Uint8Array(8);
    ack[0] = 1 << 2;
    pf.bar2.write(QM_IFC_INT_SOURCE_P, ack);
    pf.bar2.writel(QM_IFC_INT_SOURCE_V, 1);
    expect(pf.bar2.readl(QM_IFC_INT_SOURCE_P)).toBe(0);
    expect(vf.bar2.readl(QM_IFC_INT_SET_V)).toBe(0);
    expect(pf.bar2.readl(QM_IFC_INT_STATUS)).toBe(0);
  });

  it('PF → VF: SRC + CFG + SET_P raises the VF and READY_STATUS until the VF acknowledges', () => {
    const { clock, dev, vfs } = makeDevice('sec', 2);
    const pf = dev.pf;
    const irqs: number[][] = [[], []];
    vfs.forEach((vf, i) => {
      vf.setInterruptHandler((v) => irqs[i]!.push(v));
      vf.bar2.writel(QM_IFC_INT_MASK, 0);
    });
    mb(clock, pf.bar2, QM_MB_CMD_SRC, 0, 1, QM_PF_FLR_PREPARE);
    pf.bar2.writel(QM_IFC_INT_CFG, 1);
    pf.bar2.writel(QM_IFC_INT_SET_P, 1);
    clock.udelay(5);
    expect(irqs).toEqual([[QM_CMD_EVENT_IRQ_VECTOR], []]);
    expect(pf.bar2.readl(QM_IFC_READY_STATUS)).toBe(1 << 1);
    expect(vfs[0]!.bar2.readl(QM_IFC_INT_STATUS)).toBe(1);
    mb(clock, vfs[0]!.bar2, QM_MB_CMD_DST, 1, 0);
    expect(vfs[0]!.bar2.readl(QM_MB_CMD_DATA_ADDR_L)).toBe(QM_PF_FLR_PREPARE);
    vfs[0]!.bar2.writel(QM_IFC_INT_SOURCE_V, 1);
    expect(pf.bar2.readl(QM_IFC_READY_STATUS)).toBe(0);
    // broadcast
    mb(clock, pf.bar2, QM_MB_CMD_SRC, 0, 0xffff, 3);
    pf.bar2.writel(QM_IFC_INT_CFG, 0x7f);
    pf.bar2.writel(QM_IFC_INT_SET_P, 1);
    clock.udelay(5);
    expect(pf.bar2.readl(QM_IFC_READY_STATUS)).toBe(0b110);
    expect(irqs[1]).toEqual([QM_CMD_EVENT_IRQ_VECTOR]);
  });
});

describe('function-level reset', () => {
  it('VF FLR returns registers, mailbox, contexts and pause to reset values; the VFT survives', () => {
    const { clock, dev, vfs } = makeDevice('zip', 1, 4);
    const vf = vfs[0]!;
    vf.bar2.writel(QM_IFC_INT_MASK, 0);
    vf.sqcBt = 0x1000;
    vf.paused = true;
    vf.eq.image[1] = 0x5000;
    vf.flr();
    expect(vf.bar2.readl(QM_IFC_INT_MASK)).toBe(1);
    expect(vf.sqcBt).toBe(0);
    expect(vf.paused).toBe(false);
    expect(vf.eq.loaded).toBe(false);
    expect(dev.vft.range(1)).toEqual({ base: 4, number: 4 });
    dev.pf.flr();
    expect(dev.vft.range(1)).toBeUndefined();
    clock.runUntilIdle();
  });
});
