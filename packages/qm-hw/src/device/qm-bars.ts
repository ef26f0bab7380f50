import type { MmioRegion } from '@vfio-sim/platform';
import { type QmDoorbell, qmDbV1Decode, qmDbV2Decode } from '../regs/doorbell.js';
import {
  QM_DOORBELL_BASE_V1,
  QM_DOORBELL_EQ_AEQ_BASE_V2,
  QM_DOORBELL_SQ_CQ_BASE_V2,
  QM_IFC_INT_SOURCE_P,
  QM_MB_CMD_SEND_BASE,
  QM_QP_DB_INTERVAL,
} from '../regs/registers.js';
import { QM_HW_V1 } from '../regs/versions.js';
import { qmRingDoorbell } from './qm-doorbell.js';
import type { QmFunction } from './qm-function.js';

const db: QmDoorbell = { qn: 0, cmd: 0, index: 0, priority: 0, rand: 0 };

function lane(data: Uint8Array, at: number): number {
  return (data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16) | (data[at + 3]! << 24)) >>> 0;
}

function putLane(data: Uint8Array, at: number, v: number): void {
  data[at] = v & 0xff;
  data[at + 1] = (v >>> 8) & 0xff;
  data[at + 2] = (v >>> 16) & 0xff;
  data[at + 3] = (v >>> 24) & 0xff;
}

/**
 * BAR2 of a QM function as an {@link MmioRegion}: `readl`/`writel` go straight to the register file
 * (allocation-free); `write` recognises the two multi-dword transactions the QM has — the 16-byte
 * mailbox store at 0x300 and the 8-byte doorbells (V1 0x340; V2/V3 0x1000 SQ/CQ, 0x2000 EQ/AEQ) — and
 * splits other 8-byte writes into dwords. 1/2-byte writes are ignored; sub-dword reads return the
 * matching bytes of the dword.
 *
 * Kernel counterpart: the ioremapped BAR2 (`qm->io_base`).
 */
export class QmBar2 implements MmioRegion {
  constructor(
    private readonly fn: QmFunction,
    readonly size: number,
  ) {}

  readl(offset: number): number {
    if ((offset & 3) !== 0 || offset < 0 || offset >= this.size) return 0;
    return this.fn.readReg(offset);
  }

  writel(offset: number, value: number): void {
    if ((offset & 3) !== 0 || offset < 0 || offset >= this.size) return;
    if (offset >= QM_MB_CMD_SEND_BASE && offset < QM_MB_CMD_SEND_BASE + 16) {
      this.fn.mailbox.badWidth(4);
      return;
    }
    this.fn.writeReg(offset, value);
  }

  read(offset: number, data: Uint8Array): void {
    const n = data.length;
    if (n >= 4) {
      for (let i = 0; i < n; i += 4) putLane(data, i, this.readl(offset + i));
      return;
    }
    const base = offset & ~3;
    const v = this.readl(base);
    for (let i = 0; i < n; i++) data[i] = (v >>> ((offset - base + i) * 8)) & 0xff;
  }

  write(offset: number, data: Uint8Array): void {
    const n = data.length;
    const f = this.fn;
    if (offset < QM_MB_CMD_SEND_BASE + 16 && offset + n > QM_MB_CMD_SEND_BASE) {
      if (n === 16 && offset === QM_MB_CMD_SEND_BASE) f.mailbox.write16(data);
      else f.mailbox.badWidth(n);
      return;
    }
    if (n === 8) {
      const lo = lane(data, 0);
      const hi = lane(data, 4);
      const v1 = f.device.version === QM_HW_V1;
      if (v1 && offset === QM_DOORBELL_BASE_V1) {
        qmDbV1Decode(lo, hi, db);
        qmRingDoorbell(f, db.qn, db.cmd, db.index, db.priority);
        return;
      }
      if (!v1 && (offset === QM_DOORBELL_SQ_CQ_BASE_V2 || offset === QM_DOORBELL_EQ_AEQ_BASE_V2)) {
        qmDbV2Decode(lo, hi, db);
        const sqCq = db.cmd < 2;
        if (sqCq === (offset === QM_DOORBELL_SQ_CQ_BASE_V2))
          qmRingDoorbell(f, db.qn, db.cmd, db.index, db.priority);
        return;
      }
      if (f.isPf && offset === QM_IFC_INT_SOURCE_P) {
        f.device.ifc.clearSource(lo, hi);
        return;
      }
      this.writel(offset, lo);
      this.writel(offset + 4, hi);
      return;
    }
    if (n === 4) this.writel(offset, lane(data, 0));
    else if (n > 4) for (let i = 0; i + 4 <= n; i += 4) this.writel(offset + i, lane(data, i));
  }
}

/**
 * BAR4 of a QM function: the isolated SQ/CQ doorbell pages, `QM_QP_DB_INTERVAL` (0x10000) bytes per
 * queue, the doorbell at page offset 0x1000 (8-byte write, V2 encoding). Reads return 0.
 *
 * Kernel counterpart: `qm->db_io_base` when `QM_SUPPORT_DB_ISOLATION`.
 */
export class QmBar4 implements MmioRegion {
  constructor(
    private readonly fn: QmFunction,
    readonly size: number,
  ) {}

  readl(_offset: number): number {
    return 0;
  }

  writel(_offset: number, _value: number): void {}

  read(_offset: number, data: Uint8Array): void {
    data.fill(0);
  }

  write(offset: number, data: Uint8Array): void {
    if (data.length !== 8 || offset % QM_QP_DB_INTERVAL !== QM_DOORBELL_SQ_CQ_BASE_V2) return;
    qmDbV2Decode(lane(data, 0), lane(data, 4), db);
    if (db.cmd > 1) return;
    qmRingDoorbell(this.fn, db.qn, db.cmd, db.index, db.priority);
  }
}
