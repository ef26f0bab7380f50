import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { errnoOf } from '../errno/kernel-error.js';
import { defineStruct, type FieldDecl, type StructLayout } from './struct-layout.js';

// Offsets and sizes below were printed by gcc 12 (x86_64, LP64 like arm64) from the C declarations;
// each layout here is declared without offsets, so the assertions test the layout engine, not a copy.

const vfio_device_migration_info = defineStruct('vfio_device_migration_info', [
  { name: 'device_state', type: 'u32' },
  { name: 'reserved', type: 'u32' },
  { name: 'pending_bytes', type: 'u64' },
  { name: 'data_offset', type: 'u64' },
  { name: 'data_size', type: 'u64' },
]);

const vfio_region_info = defineStruct('vfio_region_info', [
  { name: 'argsz', type: 'u32' },
  { name: 'flags', type: 'u32' },
  { name: 'index', type: 'u32' },
  { name: 'cap_offset', type: 'u32' },
  { name: 'size', type: 'u64' },
  { name: 'offset', type: 'u64' },
]);

const qm_mailbox = defineStruct('qm_mailbox', [
  { name: 'w0', type: 'u16' },
  { name: 'queue_num', type: 'u16' },
  { name: 'base_l', type: 'u32' },
  { name: 'base_h', type: 'u32' },
  { name: 'rsvd', type: 'u32' },
]);

/** The RFC's layout (seed, hisi_acc_vfio_pci.h): 32 bytes of match data, 168 in all. */
const acc_vf_data_rfc = defineStruct('acc_vf_data', [
  { name: 'qp_num', type: 'u32' },
  { name: 'dev_id', type: 'u32' },
  { name: 'que_iso_cfg', type: 'u32' },
  { name: 'qp_base', type: 'u32' },
  { name: 'qm_rsv_state', type: 'u32', count: 4 },
  { name: 'aeq_int_mask', type: 'u32' },
  { name: 'eq_int_mask', type: 'u32' },
  { name: 'ifc_int_source', type: 'u32' },
  { name: 'ifc_int_mask', type: 'u32' },
  { name: 'ifc_int_set', type: 'u32' },
  { name: 'page_size', type: 'u32' },
  { name: 'vf_state', type: 'u32' },
  { name: 'qm_eqc_dw', type: 'u32', count: 7 },
  { name: 'qm_aeqc_dw', type: 'u32', count: 7 },
  { name: 'qm_rsv_regs', type: 'u32', count: 5 },
  { name: 'eqe_dma', type: 'u64' },
  { name: 'aeqe_dma', type: 'u64' },
  { name: 'sqc_dma', type: 'u64' },
  { name: 'cqc_dma', type: 'u64' },
]);

/** The merged layout (v5.18+): magic, 40 bytes of match data, explicit padding, 176 in all. */
const acc_vf_data = defineStruct('acc_vf_data', [
  { name: 'acc_magic', type: 'u64' },
  { name: 'qp_num', type: 'u32' },
  { name: 'dev_id', type: 'u32' },
  { name: 'que_iso_cfg', type: 'u32' },
  { name: 'qp_base', type: 'u32' },
  { name: 'vf_qm_state', type: 'u32' },
  { name: 'qm_rsv_state', type: 'u32', count: 3 },
  { name: 'aeq_int_mask', type: 'u32' },
  { name: 'eq_int_mask', type: 'u32' },
  { name: 'ifc_int_source', type: 'u32' },
  { name: 'ifc_int_mask', type: 'u32' },
  { name: 'ifc_int_set', type: 'u32' },
  { name: 'page_size', type: 'u32' },
  { name: 'qm_eqc_dw', type: 'u32', count: 7 },
  { name: 'qm_aeqc_dw', type: 'u32', count: 7 },
  { name: 'qm_rsv_regs', type: 'u32', count: 5 },
  { name: 'padding', type: 'u32' },
  { name: 'eqe_dma', type: 'u64' },
  { name: 'aeqe_dma', type: 'u64' },
  { name: 'sqc_dma', type: 'u64' },
  { name: 'cqc_dma', type: 'u64' },
]);

describe('struct layouts match the C compiler', () => {
  it('vfio_device_migration_info: 32 bytes', () => {
    const l = vfio_device_migration_info;
    expect(l.size).toBe(32);
    expect([
      l.offsetOf('reserved'),
      l.offsetOf('pending_bytes'),
      l.offsetOf('data_offset'),
      l.offsetOf('data_size'),
    ]).toEqual([4, 8, 16, 24]);
  });

  it('vfio_region_info: 32 bytes, minsz = offsetofend(offset) = 32', () => {
    expect(vfio_region_info.size).toBe(32);
    expect(vfio_region_info.offsetOf('size')).toBe(16);
    expect(vfio_region_info.offsetOfEnd('offset')).toBe(32);
  });

  it('qm_mailbox: 16 bytes', () => {
    expect(qm_mailbox.size).toBe(16);
    expect([
      qm_mailbox.offsetOf('queue_num'),
      qm_mailbox.offsetOf('base_l'),
      qm_mailbox.offsetOf('base_h'),
    ]).toEqual([2, 4, 8]);
  });

  it("the RFC's acc_vf_data: 168 bytes, DMA fields from 136", () => {
    const l = acc_vf_data_rfc;
    expect(l.size).toBe(168);
    expect(l.offsetOfEnd('qm_rsv_state')).toBe(32); // QM_MATCH_SIZE in the RFC
    expect(l.offsetOf('aeq_int_mask')).toBe(32);
    expect(l.offsetOf('qm_eqc_dw')).toBe(60);
    expect(l.offsetOf('qm_aeqc_dw')).toBe(88);
    expect(l.offsetOf('qm_rsv_regs')).toBe(116);
    expect(l.offsetOf('eqe_dma')).toBe(136);
    expect(l.offsetOf('cqc_dma')).toBe(160);
  });

  it('the merged acc_vf_data: 176 bytes, match data 40', () => {
    const l = acc_vf_data;
    expect(l.size).toBe(176);
    expect(l.offsetOfEnd('qm_rsv_state')).toBe(40); // QM_MATCH_SIZE
    expect(l.offsetOf('aeq_int_mask')).toBe(40);
    expect(l.offsetOf('qm_eqc_dw')).toBe(64);
    expect(l.offsetOf('qm_aeqc_dw')).toBe(92);
    expect(l.offsetOf('padding')).toBe(140);
    expect(l.offsetOf('eqe_dma')).toBe(144);
    expect(l.offsetOf('cqc_dma')).toBe(168);
  });

  it('inserts implicit padding like C and rounds the size to the largest alignment', () => {
    // struct odd { u8 a; u64 b; u16 c; }: gcc gives b@8, c@16, sizeof 24.
    const odd = defineStruct('odd', [
      { name: 'a', type: 'u8' },
      { name: 'b', type: 'u64' },
      { name: 'c', type: 'u16' },
    ]);
    expect([odd.offsetOf('b'), odd.offsetOf('c'), odd.size, odd.align]).toEqual([8, 16, 24, 8]);
  });
});

describe('encode / decode', () => {
  it('is little-endian and byte-exact', () => {
    const bytes = qm_mailbox.encode({ w0: 0x6006, queue_num: 3, base_l: 0xdead_beef, base_h: 0x1, rsvd: 0 });
    expect([...bytes]).toEqual([0x06, 0x60, 3, 0, 0xef, 0xbe, 0xad, 0xde, 1, 0, 0, 0, 0, 0, 0, 0]);
    expect(qm_mailbox.decode(bytes)).toEqual({
      w0: 0x6006,
      queue_num: 3,
      base_l: 0xdead_beef,
      base_h: 1,
      rsvd: 0,
    });
  });

  it('encodes into a caller buffer at an offset and decodes from there', () => {
    const buf = new Uint8Array(64).fill(0xaa);
    vfio_region_info.encode(
      { ...vfio_region_info.zero(), argsz: 32, index: 2, size: 0x8000n, offset: 2n << 40n },
      buf,
      16,
    );
    expect(buf[15]).toBe(0xaa);
    expect(buf[48]).toBe(0xaa);
    expect(vfio_region_info.decode(buf, 16)).toMatchObject({
      argsz: 32,
      index: 2,
      size: 0x8000n,
      offset: 0x200_0000_0000n,
    });
  });

  it('rejects values that do not fit (ERANGE) or malformed values (EINVAL), writing nothing', () => {
    const out = new Uint8Array(16).fill(0x5a);
    const good = qm_mailbox.zero();
    expect(errnoOf(() => qm_mailbox.encode({ ...good, rsvd: 0x1_0000_0000 }, out))).toBe('ERANGE');
    expect(errnoOf(() => qm_mailbox.encode({ ...good, w0: -1 }, out))).toBe('ERANGE');
    expect(errnoOf(() => qm_mailbox.encode({ ...good, base_l: 1.5 }, out))).toBe('ERANGE');
    expect(errnoOf(() => vfio_region_info.encode({ ...vfio_region_info.zero(), size: 1n << 64n }))).toBe(
      'ERANGE',
    );
    expect(
      errnoOf(() => vfio_region_info.encode({ ...vfio_region_info.zero(), size: 5 as unknown as bigint })),
    ).toBe('ERANGE');
    expect(errnoOf(() => acc_vf_data.encode({ ...acc_vf_data.zero(), qm_eqc_dw: [1, 2, 3] }))).toBe('EINVAL');
    const { rsvd: _, ...missing } = good;
    expect(errnoOf(() => qm_mailbox.encode(missing as typeof good, out))).toBe('EINVAL');
    expect(errnoOf(() => qm_mailbox.encode(good, new Uint8Array(15)))).toBe('EFAULT');
    expect(errnoOf(() => qm_mailbox.decode(new Uint8Array(15)))).toBe('EFAULT');
    expect(errnoOf(() => qm_mailbox.decode(new Uint8Array(16), 1))).toBe('EFAULT');
    expect([...out]).toEqual(new Array(16).fill(0x5a));
  });

  it('names the struct and field of a bad value (the message is built only then)', () => {
    const good = qm_mailbox.zero();
    expect(() => qm_mailbox.encode({ ...good, rsvd: -1 })).toThrow(
      'ERANGE: struct qm_mailbox.rsvd: -1 is not a u32',
    );
    expect(() =>
      acc_vf_data.encode({ ...acc_vf_data.zero(), qm_eqc_dw: [0, 0, 0, 0, 0, 0, 256n as unknown as number] }),
    ).toThrow('struct acc_vf_data.qm_eqc_dw: 256 is not a u32');
    const { w0: _, ...missing } = good;
    expect(() => qm_mailbox.encode(missing as typeof good)).toThrow('EINVAL: struct qm_mailbox.w0: missing');
  });

  it('zero() and decode() hand out fresh values (arrays are not shared)', () => {
    const a = acc_vf_data.zero();
    a.qm_eqc_dw[0] = 7;
    expect(acc_vf_data.zero().qm_eqc_dw[0]).toBe(0);
    const bytes = acc_vf_data.encode(a);
    const d1 = acc_vf_data.decode(bytes);
    d1.qm_eqc_dw[0] = 9;
    expect(acc_vf_data.decode(bytes).qm_eqc_dw[0]).toBe(7);
  });
});

describe('bad layout declarations', () => {
  const bad = (fields: readonly FieldDecl[], size?: number) =>
    errnoOf(() => defineStruct('bad', fields, size === undefined ? {} : { size }));

  it('fail with a clear errno', () => {
    expect(errnoOf(() => defineStruct('empty', []))).toBe('EINVAL');
    expect(errnoOf(() => defineStruct('', [{ name: 'a', type: 'u8' }]))).toBe('EINVAL');
    expect(
      bad([
        { name: 'a', type: 'u32' },
        { name: 'a', type: 'u32' },
      ]),
    ).toBe('EEXIST');
    expect(bad([{ name: 'a', type: 'u24' as 'u32' }])).toBe('EINVAL');
    expect(bad([{ name: '1a', type: 'u8' }])).toBe('EINVAL');
    expect(bad([{ name: '__proto__', type: 'u8' }])).toBe('EINVAL'); // would set the decoded object's prototype
    expect(bad([{ name: 'a', type: 'u8', count: 0 }])).toBe('EINVAL');
    expect(bad([{ name: 'a', type: 'u8', count: 1.5 }])).toBe('EINVAL');
    // A declared offset that hides implicit padding is caught:
    expect(
      bad([
        { name: 'a', type: 'u8' },
        { name: 'b', type: 'u32', offset: 1 },
      ]),
    ).toBe('EINVAL');
    expect(bad([{ name: 'a', type: 'u32' }], 8)).toBe('EINVAL');
    expect(
      bad(
        [
          { name: 'a', type: 'u8' },
          { name: 'b', type: 'u32', offset: 4 },
        ],
        8,
      ),
    ).toBeUndefined();
  });

  it('unknown field lookups fail with EINVAL', () => {
    expect(errnoOf(() => qm_mailbox.offsetOf('nope' as 'w0'))).toBe('EINVAL');
  });
});

// Round trips: decode(encode(x)) = x for every layout above.
function arbitraryOf<F extends readonly FieldDecl[]>(layout: StructLayout<F>) {
  const fields: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of layout.fields) {
    const scalar: fc.Arbitrary<unknown> =
      f.type === 'u64'
        ? fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })
        : fc.nat({ u8: 0xff, u16: 0xffff, u32: 0xffff_ffff }[f.type]);
    fields[f.name] = f.isArray ? fc.array(scalar, { minLength: f.count, maxLength: f.count }) : scalar;
  }
  return fc.record(fields) as fc.Arbitrary<ReturnType<StructLayout<F>['zero']>>;
}

describe('round trips', () => {
  const layouts = [
    vfio_device_migration_info,
    vfio_region_info,
    qm_mailbox,
    acc_vf_data_rfc,
    acc_vf_data,
  ] as const;
  for (const layout of layouts) {
    test.prop([arbitraryOf(layout as StructLayout<readonly FieldDecl[]>)])(
      `${layout.name} (${layout.size} bytes)`,
      (value) => {
        const l = layout as StructLayout<readonly FieldDecl[]>;
        expect(l.decode(l.encode(value))).toEqual(value);
      },
    );
  }
});
