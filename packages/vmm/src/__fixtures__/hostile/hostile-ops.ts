/**
 * Test scaffolding (not part of the package API): hostile syscalls a VMM process can make against its
 * device fd (ioctls, DEVICE_FEATURE, mmap), the v1 migration region, a saving data fd and iommufd, drawn by fast-check, and their
 * executor. Every request either fails with a KernelError or is one that changes nothing on the device
 * when it succeeds (GETs, a SET to the current state): requests that legitimately change the device
 * (VFIO_DEVICE_RESET, a valid state change, a BAR write, detaching or unmapping guest RAM) are not
 * drawn, so "state unchanged" is the rule for every drawn request.
 */
import {
  IOMMU_DESTROY,
  IOMMU_GET_HW_INFO,
  IOMMU_HWPT_ALLOC,
  IOMMU_HWPT_GET_DIRTY_BITMAP,
  IOMMU_HWPT_SET_DIRTY_TRACKING,
  IOMMU_IOAS_ALLOC,
  IOMMU_IOAS_ALLOW_IOVAS,
  IOMMU_IOAS_COPY,
  IOMMU_IOAS_IOVA_RANGES,
  IOMMU_IOAS_MAP,
  IOMMU_IOAS_UNMAP,
  IOMMU_OPTION,
  IOMMU_VFIO_IOAS,
} from '@vfio-sim/iommufd';
import { VFIO_DEVICE_STATE_V1_RUNNING } from '@vfio-sim/migration-v1';
import { VFIO_MIG_GET_PRECOPY_INFO } from '@vfio-sim/migration-v2';
import { errnoOf, KernelError } from '@vfio-sim/platform';
import {
  VFIO_DEVICE_ATTACH_IOMMUFD_PT,
  VFIO_DEVICE_BIND_IOMMUFD,
  VFIO_DEVICE_DETACH_IOMMUFD_PT,
  VFIO_DEVICE_FEATURE,
  VFIO_DEVICE_FEATURE_GET,
  VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
  VFIO_DEVICE_FEATURE_PROBE,
  VFIO_DEVICE_FEATURE_SET,
  VFIO_DEVICE_GET_INFO,
  VFIO_DEVICE_GET_IRQ_INFO,
  VFIO_DEVICE_GET_REGION_INFO,
  VFIO_DEVICE_RESET,
  VFIO_DEVICE_SET_IRQS,
  VFIO_PCI_OFFSET_SHIFT,
} from '@vfio-sim/vfio-core';
import fc from 'fast-check';
import type { VfioPciDevice } from '../../devices/vfio-pci-device.js';

/** One hostile request. */
export type HostileOp =
  | { readonly on: 'device'; readonly cmd: number; readonly arg: Uint8Array }
  | { readonly on: 'feature'; readonly flags: number; readonly argsz: number; readonly payload: Uint8Array }
  | {
      readonly on: 'region';
      readonly write: boolean;
      readonly index: number;
      readonly pos: number;
      readonly data: Uint8Array;
    }
  | { readonly on: 'iommufd'; readonly cmd: number; readonly arg: Uint8Array }
  | {
      readonly on: 'mmap';
      readonly index: number;
      readonly offset: number;
      readonly length: number;
      readonly flags: number;
    }
  | {
      readonly on: 'data-fd';
      readonly op: 'read' | 'write' | 'ioctl' | 'pread';
      readonly len: number;
      readonly cmd: number;
      readonly arg: Uint8Array;
    };

/** `argsz` first (le32), then random bytes: a plausible header over garbage. */
const withArgsz = (size: fc.Arbitrary<number>, body: fc.Arbitrary<Uint8Array>) =>
  fc.tuple(size, body).map(([argsz, bytes]) => {
    const out = new Uint8Array(Math.max(8, bytes.length));
    out.set(bytes);
    new DataView(out.buffer).setUint32(0, argsz, true);
    return out;
  });

const garbage = fc.uint8Array({ maxLength: 96 });
const argsz = fc.oneof(fc.integer({ min: 0, max: 128 }), fc.nat());

/** Device ioctls that legitimately change the device when well-formed: never drawn as raw ioctls. */
const LEGIT_CHANGES = new Set([
  VFIO_DEVICE_RESET,
  VFIO_DEVICE_FEATURE,
  VFIO_DEVICE_ATTACH_IOMMUFD_PT,
  VFIO_DEVICE_DETACH_IOMMUFD_PT,
]);

/** Device fd ioctls: the GETs, the not-modelled IRQ ioctls, a second bind, unknown commands. */
const deviceOp: fc.Arbitrary<HostileOp> = fc.record({
  on: fc.constant('device' as const),
  cmd: fc
    .oneof(
      fc.constantFrom(
        VFIO_DEVICE_GET_INFO,
        VFIO_DEVICE_GET_REGION_INFO,
        VFIO_DEVICE_GET_IRQ_INFO,
        VFIO_DEVICE_SET_IRQS,
        VFIO_DEVICE_BIND_IOMMUFD,
      ),
      fc.integer({ min: 0x3b00, max: 0x3bff }),
      fc.nat(),
    )
    .filter((cmd) => !LEGIT_CHANGES.has(cmd)),
  arg: withArgsz(argsz, garbage),
});

/** VFIO_DEVICE_FEATURE with any flags; a SET of MIG_DEVICE_STATE only to ERROR, P2P, out-of-range or the current state. */
const featureOp: fc.Arbitrary<HostileOp> = fc
  .record({
    feature: fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 0xffff })),
    dir: fc.constantFrom(
      0,
      VFIO_DEVICE_FEATURE_GET,
      VFIO_DEVICE_FEATURE_SET,
      VFIO_DEVICE_FEATURE_PROBE,
      VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET,
      VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET,
    ),
    junk: fc.oneof(
      fc.constant(0),
      fc.integer({ min: 1, max: 0x1fff }).map((b) => b << 19),
    ),
    argsz: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.nat()),
    payload: fc.uint8Array({ maxLength: 48 }),
    state: fc.oneof(fc.constantFrom(0, 2, 5, 7), fc.integer({ min: 8, max: 0x7fff_ffff })),
  })
  .map(({ feature, dir, junk, argsz: size, payload, state }) => {
    const flags = (feature | dir | junk) >>> 0;
    const body = payload.slice();
    if (feature === VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE && (dir & VFIO_DEVICE_FEATURE_SET) !== 0) {
      const b = new Uint8Array(Math.max(8, body.length));
      b.set(body);
      new DataView(b.buffer).setUint32(0, state, true); // device_state: never a valid change
      return { on: 'feature' as const, flags, argsz: size, payload: b };
    }
    return { on: 'feature' as const, flags, argsz: size, payload: body };
  })
  // a SET of anything else with a well-formed payload could be a legitimate request: not drawn
  .filter(
    (op) =>
      (op.flags & VFIO_DEVICE_FEATURE_SET) === 0 ||
      (op.flags & 0xffff) === VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE ||
      (op.flags & 0xffff) > 9 ||
      op.argsz < 16,
  );

/**
 * The v1 migration region (index 9): reads anywhere, writes of device_state that are invalid or the
 * current state (RUNNING), writes to the read-only fields and the data area while RUNNING; reads and
 * writes of region indexes that do not exist.
 */
const regionOp: fc.Arbitrary<HostileOp> = fc.oneof(
  fc.record({
    on: fc.constant('region' as const),
    write: fc.constant(false),
    index: fc.oneof(fc.constant(9), fc.integer({ min: 10, max: 40 })),
    pos: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 0x20_0000 })),
    data: fc.integer({ min: 0, max: 64 }).map((n) => new Uint8Array(n)),
  }),
  fc.record({
    on: fc.constant('region' as const),
    write: fc.constant(true),
    index: fc.constant(9),
    pos: fc.constant(0),
    data: fc
      .oneof(
        fc.constant(VFIO_DEVICE_STATE_V1_RUNNING),
        fc.constantFrom(6, 7),
        fc.integer({ min: 8, max: 0x7fff_ffff }),
      )
      .map((v) => {
        const b = new Uint8Array(4);
        new DataView(b.buffer).setUint32(0, v, true);
        return b;
      }),
  }),
  fc.record({
    on: fc.constant('region' as const),
    write: fc.constant(true),
    index: fc.oneof(fc.constant(9), fc.integer({ min: 10, max: 40 })),
    pos: fc.oneof(fc.integer({ min: 1, max: 48 }), fc.integer({ min: 0x1000, max: 0x10_0000 })),
    data: fc.uint8Array({ minLength: 1, maxLength: 16 }),
  }),
);

/**
 * iommufd ioctls with garbage: objects allocated or GETs may succeed; unmaps go above guest RAM only,
 * destroys hit ids the VM's objects do not use (its own are in use: EBUSY).
 */
const iommufdOp: fc.Arbitrary<HostileOp> = fc.record({
  on: fc.constant('iommufd' as const),
  cmd: fc.oneof(
    fc.constantFrom(
      IOMMU_DESTROY,
      IOMMU_IOAS_ALLOC,
      IOMMU_IOAS_ALLOW_IOVAS,
      IOMMU_IOAS_COPY,
      IOMMU_IOAS_IOVA_RANGES,
      IOMMU_IOAS_MAP,
      IOMMU_IOAS_UNMAP,
      IOMMU_OPTION,
      IOMMU_VFIO_IOAS,
      IOMMU_HWPT_ALLOC,
      IOMMU_GET_HW_INFO,
      IOMMU_HWPT_SET_DIRTY_TRACKING,
      IOMMU_HWPT_GET_DIRTY_BITMAP,
    ),
    fc.nat(),
  ),
  arg: withArgsz(argsz, garbage),
});

/** A saving data fd (PRE_COPY): writes, preads, unknown ioctls, PRECOPY_INFO with any argsz, reads. */
const dataFdOp: fc.Arbitrary<HostileOp> = fc.record({
  on: fc.constant('data-fd' as const),
  op: fc.constantFrom('read' as const, 'write' as const, 'ioctl' as const, 'pread' as const),
  len: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 1 << 20 })),
  cmd: fc.oneof(fc.constant(VFIO_MIG_GET_PRECOPY_INFO), fc.nat()),
  arg: withArgsz(argsz, garbage),
});

/**
 * mmap of the device fd: any region (BAR2's migration half, the config space, the v1 region, regions
 * that do not exist), any offset and length, shared or private. A mapping that is granted maps only what
 * the driver allows and is unmapped at once.
 */
const mmapOp: fc.Arbitrary<HostileOp> = fc.record({
  on: fc.constant('mmap' as const),
  index: fc.integer({ min: 0, max: 12 }),
  offset: fc.oneof(fc.constantFrom(0, 0x4000, 0x8000, 0xc000), fc.nat(0x20_0000)),
  length: fc.oneof(fc.constantFrom(0, 0x1000, 0x8000, 0x1_0000), fc.nat(0x40_0000)),
  flags: fc.constantFrom(0x01, 0x02, 0x03, 0),
});

/** Any hostile request but those on a data fd. */
export const hostileOp: fc.Arbitrary<HostileOp> = fc.oneof(deviceOp, featureOp, regionOp, iommufdOp, mmapOp);
/** Requests on a saving data fd. */
export const hostileDataFdOp: fc.Arbitrary<HostileOp> = dataFdOp;

/** Where a hostile run sends its requests: the VMM process's fds. */
export interface HostileTarget {
  readonly dev: VfioPciDevice;
  /** The VM's `/dev/iommu` fd. */
  readonly iommufdFd: number;
  /** A saving data fd, when a data-fd session is open. */
  readonly dataFd?: number;
  /** IOVAs from here up are not guest RAM (an unmap there cannot take the guest's DMA away). */
  readonly ramEnd: number;
}

/** A user buffer of 1 MiB + 4 KiB per process, allocated once. */
const scratch = new WeakMap<object, number>();

/**
 * Make the request `op` on `t`.
 * @returns the errno it failed with, or undefined when it succeeded.
 * @throws anything that is not a KernelError (a model bug).
 */
export function applyHostileOp(t: HostileTarget, op: HostileOp): string | undefined {
  const p = t.dev.vm.process;
  let va = scratch.get(p);
  if (va === undefined) {
    va = p.mm.alloc((1 << 20) + 4096, 8);
    scratch.set(p, va);
  }
  const buf = va;
  const put = (bytes: Uint8Array) => p.mm.copyToUser(buf, bytes);
  const fd = t.dev.handle.fd;
  switch (op.on) {
    case 'device':
      put(op.arg);
      return errnoOf(() => p.ioctl(fd, op.cmd, buf));
    case 'feature': {
      const b = new Uint8Array(16 + op.payload.length);
      const v = new DataView(b.buffer);
      v.setUint32(0, op.argsz, true);
      v.setUint32(4, op.flags, true);
      b.set(op.payload, 8);
      put(b);
      return errnoOf(() => p.ioctl(fd, VFIO_DEVICE_FEATURE, buf));
    }
    case 'region': {
      const offset = op.index * 2 ** VFIO_PCI_OFFSET_SHIFT + op.pos;
      if (!op.write) return errnoOf(() => p.pread(fd, buf, op.data.length, offset));
      put(op.data);
      return errnoOf(() => p.pwrite(fd, buf, op.data.length, offset));
    }
    case 'mmap':
      return errnoOf(() => t.dev.handle.mmap(op.index, op.length, op.offset, op.flags).munmap());
    case 'iommufd': {
      const arg = op.arg.slice();
      guardIommufd(op.cmd, arg, t.ramEnd);
      put(arg);
      return errnoOf(() => p.ioctl(t.iommufdFd, op.cmd, buf));
    }
    case 'data-fd': {
      if (t.dataFd === undefined) throw new KernelError('EINVAL', 'no data fd open');
      const dfd = t.dataFd;
      put(op.arg);
      if (op.op === 'read') return errnoOf(() => p.read(dfd, buf, op.len));
      if (op.op === 'write') return errnoOf(() => p.write(dfd, buf, Math.min(op.len, op.arg.length)));
      if (op.op === 'pread') return errnoOf(() => p.pread(dfd, buf, op.len, op.len));
      return errnoOf(() => p.ioctl(dfd, op.cmd, buf));
    }
  }
}

/**
 * Keep an iommufd request from being a legitimate attack on the guest: an unmap or a copy only above
 * guest RAM, no destroy of the VM's own objects' ids (1..8), no dirty-tracking toggles.
 */
function guardIommufd(cmd: number, arg: Uint8Array, ramEnd: number): void {
  const v = new DataView(arg.buffer, arg.byteOffset, arg.length);
  if (cmd === IOMMU_IOAS_UNMAP && arg.length >= 24) {
    // struct iommu_ioas_unmap { size, ioas_id, iova (u64), length (u64) }
    v.setBigUint64(8, BigInt(ramEnd) + (v.getBigUint64(8, true) & 0xffff_ffffn), true);
  }
  if (cmd === IOMMU_DESTROY && arg.length >= 8) v.setUint32(4, 100 + (v.getUint32(4, true) % 1000), true);
  if (cmd === IOMMU_HWPT_SET_DIRTY_TRACKING && arg.length >= 8)
    v.setUint32(4, v.getUint32(4, true) | 0x8000_0000, true);
  if (cmd === IOMMU_IOAS_COPY && arg.length >= 8) v.setUint32(4, 0x8000_0000 | v.getUint32(4, true), true);
}
