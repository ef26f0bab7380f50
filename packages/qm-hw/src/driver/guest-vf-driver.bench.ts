import { deflateRawSync } from 'node:zlib';
import { bench, describe } from 'vitest';
import { QM_SQE_OP_ZIP_DEFLATE } from '../regs/sqe.js';
import { probeGuest, zipHost } from './__fixtures__/zip-host.js';

const out = { sink: 0 };
const input = new Uint8Array(4096).map((_, i) => (i * 7 + (i >>> 5)) & 0xff);

describe('8 ZIP jobs of 4 KiB, submit to completion', () => {
  bench('baseline: deflateRawSync 8 times', () => {
    for (let i = 0; i < 8; i++) out.sink ^= deflateRawSync(input).length;
  });

  const { clock, memory, vf } = zipHost({ numVfs: 1 });
  const drv = probeGuest(vf, memory, clock);
  bench('GuestVfDriver: 8 × submit, run the clock, completions read back', () => {
    for (let i = 0; i < 8; i++) drv.submit({ opcode: QM_SQE_OP_ZIP_DEFLATE, input });
    clock.runUntilIdle();
    out.sink ^= drv.completed.length;
    drv.completed.length = 0;
  });
});
