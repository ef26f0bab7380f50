import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  ACC_DEV_MAGIC,
  acc_vf_data,
  acc_vf_data_v1,
  QM_MATCH_SIZE,
  QM_MATCH_SIZE_V1,
} from './acc-vf-data.js';

describe('acc_vf_data layouts (byte-exact to the C headers)', () => {
  it('RFC layout: 168 bytes, 32 bytes of match data, DMA addresses from 136', () => {
    expect(acc_vf_data_v1.size).toBe(168);
    expect(QM_MATCH_SIZE_V1).toBe(32);
    expect(acc_vf_data_v1.offsetOf('vf_state')).toBe(56);
    expect(acc_vf_data_v1.offsetOf('eqe_dma')).toBe(136);
  });

  it('merged layout: 176 bytes, 40 bytes of match data, explicit padding at 140', () => {
    expect(acc_vf_data.size).toBe(176);
    expect(QM_MATCH_SIZE).toBe(40);
    expect(acc_vf_data.offsetOf('padding')).toBe(140);
    expect(acc_vf_data.offsetOf('sqc_dma')).toBe(160);
  });

  it('the magic sits little-endian in the first 8 bytes', () => {
    const bytes = acc_vf_data.encode({ ...acc_vf_data.zero(), acc_magic: ACC_DEV_MAGIC });
    expect([...bytes.subarray(0, 8)]).toEqual([0xcc, 0xaa, 0xed, 0xfe, 0xcd, 0xcd, 0xcd, 0xcd]);
  });

  const u32 = fc.nat(0xffff_ffff);
  const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
  test.prop([u32, u32, fc.array(u32, { minLength: 7, maxLength: 7 }), u64])(
    'v1 layout round-trips',
    (qp_num, dev_id, qm_eqc_dw, sqc_dma) => {
      const v = { ...acc_vf_data_v1.zero(), qp_num, dev_id, qm_eqc_dw, sqc_dma };
      expect(acc_vf_data_v1.decode(acc_vf_data_v1.encode(v))).toEqual(v);
    },
  );
});
