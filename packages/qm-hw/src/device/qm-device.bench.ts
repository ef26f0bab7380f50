import { deflateRawSync } from 'node:zlib';
import { bench, describe } from 'vitest';
import { QM_DOORBELL_CMD_CQ, type QmDoorbell, qmDbV2, qmDbV2Decode } from '../regs/doorbell.js';
import {
  QM_CACHE_WB_DONE,
  QM_DOORBELL_SQ_CQ_BASE_V2,
  QM_PAGE_SIZE,
  QM_VF_EQ_INT_MASK,
} from '../regs/registers.js';
import { QM_SQE_OP_ZIP_DEFLATE } from '../regs/sqe.js';
import { DEPTH, layout, makeDevice, putSqe, ringSq, startFunction } from './__fixtures__/qm-setup.js';

const out = { sink: 0 };

describe('BAR2 register access, 1M accesses', () => {
  const { vfs } = makeDevice('zip', 1);
  const bar = vfs[0]!.bar2;
  const regs = new Uint32Array(0x10000 / 4);
  const N = 1 << 20;
  bench('baseline Uint32Array read/write', () => {
    let s = 0;
    for (let i = 0; i < N; i++) {
      regs[QM_PAGE_SIZE >>> 2] = i;
      s += regs[QM_VF_EQ_INT_MASK >>> 2]! + regs[QM_CACHE_WB_DONE >>> 2]!;
    }
    out.sink ^= s;
  });
  bench('QmFunction bar2.writel/readl', () => {
    let s = 0;
    for (let i = 0; i < N; i++) {
      bar.writel(QM_PAGE_SIZE, i);
      s += bar.readl(QM_VF_EQ_INT_MASK) + bar.readl(QM_CACHE_WB_DONE);
    }
    out.sink ^= s;
  });
});

describe('VF CQ doorbell (8-byte BAR2 write), 100k', () => {
  const VF = 0x100_0000;
  const r = makeDevice('zip', 1);
  const vf = r.vfs[0]!;
  startFunction(r.clock, r.mem, vf, VF, 1);
  const bar = vf.bar2;
  const d = qmDbV2(0, QM_DOORBELL_CMD_CQ, 0, 0);
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setUint32(0, d.lo, true);
  new DataView(bytes.buffer).setUint32(4, d.hi, true);
  const db: QmDoorbell = { qn: 0, cmd: 0, index: 0, priority: 0, rand: 0 };
  const N = 100_000;
  bench('baseline qmDbV2Decode into a reused object', () => {
    let s = 0;
    for (let i = 0; i < N; i++) s += qmDbV2Decode(d.lo, d.hi + (i & 1), db).index;
    out.sink ^= s;
  });
  bench('QmFunction bar2.write CQ doorbell (VF: queue found through the VFT)', () => {
    for (let i = 0; i < N; i++) bar.write(QM_DOORBELL_SQ_CQ_BASE_V2, bytes);
    out.sink ^= vf.queueFor(0)!.cqHead;
  });
});

describe('ZIP 64 KiB deflate job', () => {
  const VF = 0x100_0000;
  const LEN = 64 << 10;
  const data = new Uint8Array(LEN).map((_, i) => (i * 31 + (i >>> 7)) & 0xff);
  const r = makeDevice('zip', 1);
  const vf = r.vfs[0]!;
  startFunction(r.clock, r.mem, vf, VF, 1);
  const L = layout(VF);
  r.mem.write(L.data, data);
  for (let slot = 0; slot < DEPTH; slot++) {
    putSqe(r.mem, VF, 0, slot, {
      opcode: QM_SQE_OP_ZIP_DEFLATE,
      src_addr: BigInt(L.data),
      src_len: LEN,
      dst_addr: BigInt(L.data + 0x20000),
      dst_len: 0x20000,
    });
  }
  let tail = 0;
  bench('baseline zlib.deflateRawSync', () => {
    out.sink ^= deflateRawSync(data).length;
  });
  bench('SQ doorbell → engine (DMA in, deflate, DMA out) → CQE → EQE', () => {
    tail = (tail + 1) % DEPTH;
    ringSq(vf.bar2, 0, tail);
    r.clock.runUntilIdle();
    // the driver consumes everything so the rings never fill
    const q = vf.queueFor(0)!;
    q.cqHead = q.cqTail;
    vf.eq.head = vf.eq.tail;
  });
});
