import { fc, test } from '@fast-check/vitest';
import { errnoOf } from '@vfio-sim/platform';
import { QM_NOT_READY, QM_READY } from '@vfio-sim/qm-hw';
import { describe, expect, it } from 'vitest';
import { ACC_DEV_MAGIC_V2, acc_vf_data, acc_vf_data_v1 } from './acc-vf-data.js';
import {
  type AccVfState,
  decodeAccVfData,
  decodeAccVfDataHeader,
  decodeAccVfDataV1,
  encodeAccVfData,
  encodeAccVfDataV1,
  xqcDmaAddr,
} from './acc-vf-state.js';

const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const dw7 = fc.array(u32, { minLength: 7, maxLength: 7 });
const match = fc.record({ qpNum: u32, devId: u32, queIsoCfg: u32, qpBase: u32 });
const regs = fc.record({
  aeqIntMask: u32,
  eqIntMask: u32,
  ifcIntSource: u32,
  ifcIntMask: u32,
  ifcIntSet: u32,
  pageSize: u32,
  eqcDw: dw7,
  aeqcDw: dw7,
  eqeDma: u64,
  aeqeDma: u64,
  sqcDma: u64,
  cqcDma: u64,
});
const state: fc.Arbitrary<AccVfState> = fc.oneof(
  match.map((m) => ({ match: m, vfQmState: QM_NOT_READY }) as AccVfState),
  fc.tuple(match, regs).map(([m, r]) => ({ match: m, vfQmState: QM_READY, regs: r }) as AccVfState),
);

describe('acc_vf_data streams', () => {
  test.prop([state])('the RFC layout round-trips (32 bytes without registers, 168 with)', (s) => {
    const bytes = encodeAccVfDataV1(s);
    expect(bytes.length).toBe(s.regs === undefined ? 32 : 168);
    expect(decodeAccVfDataV1(bytes)).toEqual(s);
  });

  test.prop([fc.integer({ min: 0, max: 400 }).filter((n) => n !== 32 && n !== 168)])(
    'any other stream length is EINVAL',
    (n) => {
      expect(errnoOf(() => decodeAccVfDataV1(new Uint8Array(n)))).toBe('EINVAL');
    },
  );

  it('a full RFC stream must say QM_READY', () => {
    const bytes = new Uint8Array(acc_vf_data_v1.size);
    bytes[acc_vf_data_v1.offsetOf('vf_state')] = 1;
    expect(errnoOf(() => decodeAccVfDataV1(bytes))).toBe('EINVAL');
  });

  test.prop([state])('the merged layout carries magic V2, version 1.0 and the same fields', (s) => {
    const bytes = encodeAccVfData(s);
    expect(bytes.length).toBe(s.regs === undefined ? 40 : 176);
    const full = new Uint8Array(176);
    full.set(bytes);
    const v = acc_vf_data.decode(full);
    expect(v.acc_magic).toBe(ACC_DEV_MAGIC_V2);
    expect(v.qm_rsv_state[0]! & 0xffff).toBe(1);
    expect(v.qp_num).toBe(s.match.qpNum);
    expect(v.vf_qm_state).toBe(s.vfQmState);
    if (s.regs) expect(v.cqc_dma).toBe(s.regs.cqcDma);
  });

  it('the EQE ring address is dw[2] << 32 | dw[1] (the v6.16 fix)', () => {
    expect(xqcDmaAddr([0xaaaa, 0x8765_4321, 0x1, 0, 0, 0, 0])).toBe(0x1_8765_4321n);
  });
  test.prop([state])('the merged layout round-trips through decodeAccVfData (40 bytes → match only)', (s) => {
    expect(decodeAccVfData(encodeAccVfData(s))).toEqual(s);
  });
  test.prop([fc.integer({ min: 0, max: 400 }).filter((n) => n !== 40 && n !== 176)])(
    'a merged stream of any other length is EINVAL',
    (n) => {
      const bytes = new Uint8Array(n);
      if (n >= 40)
        bytes.set(
          encodeAccVfData({
            match: { qpNum: 1, devId: 2, queIsoCfg: 0, qpBase: 0 },
            vfQmState: QM_NOT_READY,
          }),
        );
      expect(errnoOf(() => decodeAccVfData(bytes))).toBe('EINVAL');
    },
  );
  it('the header: V2 needs major version 1; the V1 magic is accepted as version 0.0', () => {
    const bytes = encodeAccVfData({
      match: { qpNum: 4, devId: 0xa251, queIsoCfg: 0, qpBase: 8 },
      vfQmState: QM_NOT_READY,
    });
    expect(decodeAccVfDataHeader(bytes)).toMatchObject({ magic: 'v2', majorVer: 1, minorVer: 0 });
    const v2 = bytes.slice();
    v2[28] = 2;
    expect(errnoOf(() => decodeAccVfDataHeader(v2))).toBe('EINVAL');
    const v1 = bytes.slice();
    v1.set([0xcc, 0xaa, 0xed, 0xfe, 0xcd, 0xcd, 0xcd, 0xcd], 0);
    expect(decodeAccVfDataHeader(v1)).toMatchObject({ magic: 'v1', majorVer: 0, match: { qpNum: 4 } });
    expect(errnoOf(() => decodeAccVfDataHeader(bytes.subarray(0, 39)))).toBe('EINVAL');
  });
});
