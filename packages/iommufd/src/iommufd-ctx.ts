import {
  anonInodeGetFile,
  type FileOperations,
  FMODE_READ,
  FMODE_WRITE,
  KernelError,
  type KernelFile,
  type Task,
  type UserMemory,
} from '@vfio-sim/platform';
import { IOAS_IOVA_MODEL_LIMIT, Ioas } from './io-pagetable.js';
import type { IommuProt } from './io-pgtable-format.js';
import { IommuDomain, type IommuDomainAllocOptions } from './iommu-domain.js';
import type { IommuDevice } from './iommu-hw.js';
import {
  copyHwptSelftestFromUser,
  IOMMU_HW_INFO_TYPE_SELFTEST,
  IOMMU_HWPT_DATA_SELFTEST,
  IOMMU_TEST_CMD,
  IOMMU_TEST_CMD_MINSZ,
  iommu_test_hw_info,
  iommufdTest,
  mockDomainAllocOptions,
} from './iommufd-selftest.js';
import { IovaBitmap } from './iova-bitmap.js';
import * as u from './uapi.js';
import { copyCmdFromUser, copyCmdToUser } from './user-struct.js';
import { iommufdVfioIoctl } from './vfio-compat.js';

const U64_MAX = (1n << 64n) - 1n;
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A kernel-managed paging HWPT (`struct iommufd_hwpt_paging`). */
export class HwptPaging {
  constructor(
    readonly id: number,
    readonly domain: IommuDomain,
    readonly ioas: Ioas,
    readonly ioasId: number,
    /** Created by attaching a device straight to an IOAS (no dirty ops), destroyed with its last device. */
    readonly auto: boolean,
  ) {}
}

/** A device bound to the context (`struct iommufd_device`). */
export class IommufdDevice {
  hwpt: HwptPaging | undefined = undefined;
  constructor(
    readonly id: number,
    readonly dev: IommuDevice,
  ) {}
}

/**
 * An object in an iommufd context's id table, as `struct iommufd_object` tagged by `enum
 * iommufd_object_type` (drivers/iommu/iommufd/iommufd_private.h): an IOAS, a paging HWPT or a bound device.
 */
export type IommufdObject =
  | { readonly type: 'ioas'; readonly ioas: Ioas }
  | { readonly type: 'hwpt_paging'; readonly hwpt: HwptPaging }
  | { readonly type: 'device'; readonly idev: IommufdDevice }
  /** A selftest object owning a mock device (`struct selftest_obj`, IOMMUFD_OBJ_SELFTEST). */
  | { readonly type: 'selftest'; readonly devId: number };

/** `IOMMUFD_CMD_BASE` and the last command number in the ioctl table (IOMMU_TEST_CMD). */
const IOMMUFD_CMD_BASE = 0x80;
const IOMMUFD_CMD_LAST = 0xa0;

/** Minimum `size` of each command (offsetofend of its last required field). */
const MIN_SIZE: ReadonlyMap<number, number> = new Map([
  [u.IOMMU_DESTROY, 8],
  [u.IOMMU_IOAS_ALLOC, 12],
  [u.IOMMU_IOAS_ALLOW_IOVAS, 24],
  [u.IOMMU_IOAS_COPY, 40],
  [u.IOMMU_IOAS_IOVA_RANGES, 32],
  [u.IOMMU_IOAS_MAP, 40],
  [u.IOMMU_IOAS_UNMAP, 24],
  [u.IOMMU_OPTION, 24],
  [u.IOMMU_VFIO_IOAS, 12],
  [u.IOMMU_HWPT_ALLOC, 24],
  [u.IOMMU_GET_HW_INFO, 32],
  [u.IOMMU_HWPT_SET_DIRTY_TRACKING, 16],
  [u.IOMMU_HWPT_GET_DIRTY_BITMAP, 48],
  [IOMMU_TEST_CMD, IOMMU_TEST_CMD_MINSZ],
]);

/**
 * One open `/dev/iommu`: the object table (IOAS, HWPT, device ids) and the ioctls on it. Kernel-side
 * entry points ({@link bindDevice}, {@link attachDevice}) are what VFIO calls for
 * VFIO_DEVICE_BIND_IOMMUFD / VFIO_DEVICE_ATTACH_IOMMUFD_PT.
 *
 * Kernel counterpart: `struct iommufd_ctx` and drivers/iommu/iommufd/main.c (`iommufd_fops_ioctl`),
 * ioas.c, hw_pagetable.c, device.c.
 */
export class IommufdCtx {
  private readonly objects = new Map<number, IommufdObject>();
  private nextId = 1;
  private vfioIoasId = 0;
  /** IOMMU_OPTION_RLIMIT_MODE. */
  private rlimitMode = 0n;

  // ---- kernel-side API ---------------------------------------------------------------------------

  /** `iommufd_device_bind`: returns the device id. @throws KernelError EBUSY if already bound here. */
  bindDevice(dev: IommuDevice): number {
    for (const o of this.objects.values()) {
      if (o.type === 'device' && o.idev.dev === dev)
        throw new KernelError('EBUSY', `${dev.name} is already bound`);
    }
    const id = this.nextId++;
    this.objects.set(id, { type: 'device', idev: new IommufdDevice(id, dev) });
    return id;
  }

  /** `iommufd_ioas_alloc` without the user struct: a new, empty IOAS. Returns its id. */
  allocIoas(): number {
    const id = this.nextId++;
    this.objects.set(id, { type: 'ioas', ioas: new Ioas() });
    return id;
  }

  /**
   * `iommufd_hwpt_paging_alloc` without the user struct: a paging HWPT on the device's IOMMU, filled
   * from the IOAS. `flags` may hold IOMMU_HWPT_ALLOC_DIRTY_TRACKING (and NEST_PARENT, accepted as a
   * no-op). The domain takes the device's page sizes ({@link IommuDevice.pgsizeBitmap}) unless
   * `domainOptions` (what the driver made of the HWPT's driver data) says otherwise. Returns the HWPT id.
   * @throws KernelError ENOENT (device/IOAS), EOPNOTSUPP (flags, or dirty tracking the IOMMU lacks),
   *   EINVAL (a mapping the domain cannot hold).
   */
  allocHwpt(devId: number, ioasId: number, flags = 0, domainOptions: IommuDomainAllocOptions = {}): number {
    const idev = this.getDevice(devId);
    const ioas = this.ioas(ioasId);
    const known = u.IOMMU_HWPT_ALLOC_NEST_PARENT | u.IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
    if ((flags & ~known) !== 0)
      throw new KernelError('EOPNOTSUPP', `HWPT_ALLOC flags 0x${flags.toString(16)}`);
    const dirty = (flags & u.IOMMU_HWPT_ALLOC_DIRTY_TRACKING) !== 0;
    const domain = IommuDomain.alloc(idev.dev.hw, {
      pgsizeBitmap: idev.dev.pgsizeBitmap,
      ...domainOptions,
      dirtyTracking: dirty,
    });
    ioas.addDomain(domain);
    const hwpt = new HwptPaging(this.nextId++, domain, ioas, ioasId, false);
    this.objects.set(hwpt.id, { type: 'hwpt_paging', hwpt });
    return hwpt.id;
  }

  /** `iommufd_device_unbind`: detaches first. */
  unbindDevice(devId: number): void {
    const idev = this.getDevice(devId);
    this.detachDevice(devId);
    this.objects.delete(idev.id);
  }

  /**
   * `iommufd_device_attach` (or replace): attach to a paging HWPT, or to an IOAS through an automatic
   * domain (shared with other devices of the same IOMMU type; no dirty ops). Returns the HWPT id.
   * @throws KernelError ENOENT (ids), EINVAL (vendor refusal).
   */
  attachDevice(devId: number, ptId: number, pasid = 0): number {
    const idev = this.getDevice(devId);
    const o = this.objects.get(ptId);
    if (o === undefined || o.type === 'device' || o.type === 'selftest')
      throw new KernelError('ENOENT', `no IOAS or HWPT ${ptId}`);
    let hwpt: HwptPaging;
    if (o.type === 'hwpt_paging') {
      hwpt = o.hwpt;
      o.hwpt.domain.attachDev(idev.dev, pasid);
    } else {
      const existing = [...this.objects.values()].find(
        (x): x is { type: 'hwpt_paging'; hwpt: HwptPaging } =>
          x.type === 'hwpt_paging' &&
          x.hwpt.auto &&
          x.hwpt.ioas === o.ioas &&
          x.hwpt.domain.hw.format === idev.dev.hw.format,
      );
      if (existing !== undefined) {
        hwpt = existing.hwpt;
        hwpt.domain.attachDev(idev.dev, pasid);
      } else {
        const domain = IommuDomain.alloc(idev.dev.hw, { pgsizeBitmap: idev.dev.pgsizeBitmap });
        o.ioas.addDomain(domain);
        hwpt = new HwptPaging(this.nextId++, domain, o.ioas, ptId, true);
        try {
          domain.attachDev(idev.dev, pasid);
        } catch (e) {
          o.ioas.removeDomain(domain);
          throw e;
        }
        this.objects.set(hwpt.id, { type: 'hwpt_paging', hwpt });
      }
    }
    const old = idev.hwpt;
    idev.hwpt = hwpt;
    if (old !== undefined && old !== hwpt) this.releaseAuto(old);
    return hwpt.id;
  }

  /** `iommufd_device_detach`: the device becomes blocked. */
  detachDevice(devId: number): void {
    const idev = this.getDevice(devId);
    const hwpt = idev.hwpt;
    if (hwpt === undefined) return;
    hwpt.domain.detachDev(idev.dev);
    idev.hwpt = undefined;
    this.releaseAuto(hwpt);
  }

  /** The paging HWPT with `id`. @throws KernelError ENOENT */
  hwpt(id: number): HwptPaging {
    const o = this.objects.get(id);
    if (o?.type !== 'hwpt_paging') throw new KernelError('ENOENT', `no paging HWPT ${id}`);
    return o.hwpt;
  }

  /** The IOAS with `id`. @throws KernelError ENOENT */
  ioas(id: number): Ioas {
    const o = this.objects.get(id);
    if (o?.type !== 'ioas') throw new KernelError('ENOENT', `no IOAS ${id}`);
    return o.ioas;
  }

  /**
   * IOMMU_TEST_OP_MOCK_DOMAIN's kernel side (`iommufd_test_mock_domain`): a selftest object owning
   * `dev`, which is bound and attached to `ptId` (IOAS or HWPT). Destroying the object unbinds the
   * device. Returns the object, device and HWPT ids.
   * @throws KernelError ENOENT (ptId), EINVAL (the driver refuses the attach); nothing is left behind.
   */
  bindSelftestDevice(dev: IommuDevice, ptId: number): { stdevId: number; idevId: number; hwptId: number } {
    const stdevId = this.nextId++;
    const idevId = this.bindDevice(dev);
    let hwptId: number;
    try {
      hwptId = this.attachDevice(idevId, ptId);
    } catch (e) {
      this.unbindDevice(idevId);
      throw e;
    }
    this.objects.set(stdevId, { type: 'selftest', devId: idevId });
    return { stdevId, idevId, hwptId };
  }

  /**
   * `get_compat_ioas`: the IOAS the VFIO compatibility ioctls operate on.
   * @throws KernelError ENODEV when there is none (no group attached, no IOMMU_VFIO_IOAS SET).
   */
  compatIoas(): Ioas {
    if (this.vfioIoasId === 0) throw new KernelError('ENODEV', 'no VFIO compatibility IOAS');
    return this.ioas(this.vfioIoasId);
  }

  /**
   * `iommufd_vfio_compat_ioas_create`: what attaching a VFIO group to this iommufd as its container
   * does — create the compatibility IOAS unless one is set. Returns its id.
   */
  vfioCompatIoasCreate(): number {
    if (this.vfioIoasId === 0) this.vfioIoasId = this.allocIoas();
    return this.vfioIoasId;
  }

  /** Object ids and types (diagnostics). */
  objectIds(): Array<{ id: number; type: IommufdObject['type'] }> {
    return [...this.objects.entries()].map(([id, o]) => ({ id, type: o.type }));
  }

  /** Release everything (file close). */
  release(): void {
    for (const o of this.objects.values()) if (o.type === 'device') this.detachDevice(o.idev.id);
    for (const o of this.objects.values())
      if (o.type === 'hwpt_paging') o.hwpt.ioas.removeDomain(o.hwpt.domain);
    for (const o of this.objects.values()) if (o.type === 'ioas') o.ioas.unmapAll();
    this.objects.clear();
  }

  // ---- ioctl ------------------------------------------------------------------------------------

  /**
   * `iommufd_fops_ioctl`: `arg` points at the command struct in `current.mm`. Numbers outside the
   * iommufd table (below IOMMUFD_CMD_BASE, e.g. every VFIO container ioctl) go to the VFIO
   * compatibility container ({@link iommufdVfioIoctl}).
   * @throws KernelError ENOTTY for an unknown command, and each command's errno.
   */
  ioctl(current: Task, cmdNr: number, arg: number): number {
    const mm = current.mm;
    const nr = cmdNr & 0xff;
    if (nr < IOMMUFD_CMD_BASE || nr > IOMMUFD_CMD_LAST) return iommufdVfioIoctl(this, mm, cmdNr, arg);
    const minSize = MIN_SIZE.get(cmdNr);
    // -ENOIOCTLCMD, which the VFS turns into ENOTTY.
    if (minSize === undefined)
      throw new KernelError('ENOTTY', `iommufd: unknown ioctl 0x${cmdNr.toString(16)}`);
    switch (cmdNr) {
      case u.IOMMU_DESTROY:
        return this.ioctlDestroy(mm, arg, minSize);
      case u.IOMMU_IOAS_ALLOC:
        return this.ioctlIoasAlloc(mm, arg, minSize);
      case u.IOMMU_IOAS_ALLOW_IOVAS:
        return this.ioctlAllowIovas(mm, arg, minSize);
      case u.IOMMU_IOAS_COPY:
        return this.ioctlCopy(mm, arg, minSize);
      case u.IOMMU_IOAS_IOVA_RANGES:
        return this.ioctlIovaRanges(mm, arg, minSize);
      case u.IOMMU_IOAS_MAP:
        return this.ioctlMap(mm, arg, minSize);
      case u.IOMMU_IOAS_UNMAP:
        return this.ioctlUnmap(mm, arg, minSize);
      case u.IOMMU_OPTION:
        return this.ioctlOption(mm, arg, minSize);
      case u.IOMMU_VFIO_IOAS:
        return this.ioctlVfioIoas(mm, arg, minSize);
      case u.IOMMU_HWPT_ALLOC:
        return this.ioctlHwptAlloc(mm, arg, minSize);
      case u.IOMMU_GET_HW_INFO:
        return this.ioctlGetHwInfo(mm, arg, minSize);
      case u.IOMMU_HWPT_SET_DIRTY_TRACKING:
        return this.ioctlSetDirtyTracking(mm, arg, minSize);
      case IOMMU_TEST_CMD:
        return iommufdTest(this, mm, arg);
      default:
        return this.ioctlGetDirtyBitmap(mm, arg, minSize);
    }
  }

  private ioctlDestroy(mm: UserMemory, arg: number, min: number): number {
    const { cmd } = copyCmdFromUser(mm, arg, u.iommu_destroy, min);
    const o = this.objects.get(cmd.id);
    if (o === undefined) throw new KernelError('ENOENT', `no object ${cmd.id}`);
    if (o.type === 'device')
      throw new KernelError('EBUSY', 'devices are unbound through VFIO, not destroyed');
    if (o.type === 'selftest') {
      // iommufd_selftest_destroy: unbind the mock device.
      this.unbindDevice(o.devId);
      this.objects.delete(cmd.id);
      return 0;
    }
    if (o.type === 'ioas') {
      const users = [...this.objects.values()].some(
        (x) => x.type === 'hwpt_paging' && x.hwpt.ioas === o.ioas,
      );
      if (users) throw new KernelError('EBUSY', `IOAS ${cmd.id} still backs a HWPT`);
      o.ioas.unmapAll();
      if (this.vfioIoasId === cmd.id) this.vfioIoasId = 0;
    } else {
      if (o.hwpt.domain.devices.size > 0)
        throw new KernelError('EBUSY', `HWPT ${cmd.id} has devices attached`);
      o.hwpt.ioas.removeDomain(o.hwpt.domain);
    }
    this.objects.delete(cmd.id);
    return 0;
  }

  private ioctlIoasAlloc(mm: UserMemory, arg: number, min: number): number {
    const { cmd, userSize } = copyCmdFromUser(mm, arg, u.iommu_ioas_alloc, min);
    if (cmd.flags !== 0) throw new KernelError('EOPNOTSUPP', `IOAS_ALLOC flags 0x${cmd.flags.toString(16)}`);
    const id = this.allocIoas();
    cmd.out_ioas_id = id;
    try {
      copyCmdToUser(mm, arg, u.iommu_ioas_alloc, cmd, userSize);
    } catch (e) {
      this.objects.delete(id);
      throw e;
    }
    return 0;
  }

  private ioctlAllowIovas(mm: UserMemory, arg: number, min: number): number {
    const { cmd } = copyCmdFromUser(mm, arg, u.iommu_ioas_allow_iovas, min);
    if (cmd.__reserved !== 0) throw new KernelError('EOPNOTSUPP', '__reserved must be 0');
    const ioas = this.ioas(cmd.ioas_id);
    const ranges: Array<{ start: number; last: number }> = [];
    for (let i = 0; i < cmd.num_iovas; i++) {
      const r = mm.readStruct(u.iommu_iova_range, Number(cmd.allowed_iovas) + i * u.iommu_iova_range.size);
      if (r.start > r.last) throw new KernelError('EINVAL', `allowed range ${i}: start > last`);
      ranges.push({
        start: Number(r.start > SAFE ? SAFE : r.start),
        last: Number(r.last > SAFE ? SAFE : r.last),
      });
    }
    const next = ranges.length === 0 ? null : ranges;
    if (next !== null) {
      for (const a of ioas.mappings) {
        if (!next.some((r) => a.iova >= r.start && a.iova + a.length - 1 <= r.last)) {
          throw new KernelError(
            'EADDRINUSE',
            `mapping at 0x${a.iova.toString(16)} is outside the new allowed list`,
          );
        }
      }
    }
    ioas.allowedIovas = next;
    return 0;
  }

  private ioctlCopy(mm: UserMemory, arg: number, min: number): number {
    const { cmd, userSize } = copyCmdFromUser(mm, arg, u.iommu_ioas_copy, min);
    const known = u.IOMMU_IOAS_MAP_FIXED_IOVA | u.IOMMU_IOAS_MAP_WRITEABLE | u.IOMMU_IOAS_MAP_READABLE;
    if ((cmd.flags & ~known) !== 0)
      throw new KernelError('EOPNOTSUPP', `IOAS_COPY flags 0x${cmd.flags.toString(16)}`);
    if (cmd.length >= U64_MAX || cmd.dst_iova >= U64_MAX || cmd.src_iova >= U64_MAX) {
      throw new KernelError('EOVERFLOW', 'IOAS_COPY range overflows');
    }
    const src = this.ioas(cmd.src_ioas_id);
    const dst = this.ioas(cmd.dst_ioas_id);
    const area = src.areaAt(toModelIova(cmd.src_iova));
    if (area === undefined || BigInt(area.iova) !== cmd.src_iova || BigInt(area.length) !== cmd.length) {
      throw new KernelError('ENOENT', 'IOAS_COPY source must be exactly one mapping');
    }
    const fixed = (cmd.flags & u.IOMMU_IOAS_MAP_FIXED_IOVA) !== 0;
    const iova = dst.map(
      area.memory,
      area.offset,
      area.length,
      fixed ? toModelIova(cmd.dst_iova) : undefined,
      convIommuProt(cmd.flags),
    );
    cmd.dst_iova = BigInt(iova);
    copyCmdToUser(mm, arg, u.iommu_ioas_copy, cmd, userSize);
    return 0;
  }

  private ioctlIovaRanges(mm: UserMemory, arg: number, min: number): number {
    const { cmd, userSize } = copyCmdFromUser(mm, arg, u.iommu_ioas_iova_ranges, min);
    if (cmd.__reserved !== 0) throw new KernelError('EOPNOTSUPP', '__reserved must be 0');
    const ioas = this.ioas(cmd.ioas_id);
    const ranges = ioas.allowedIovas ?? ioas.iovaRanges();
    const room = cmd.num_iovas;
    for (let i = 0; i < Math.min(room, ranges.length); i++) {
      const r = ranges[i]!;
      mm.copyToUser(
        Number(cmd.allowed_iovas) + i * u.iommu_iova_range.size,
        u.iommu_iova_range.encode({ start: BigInt(r.start), last: BigInt(r.last) }),
      );
    }
    cmd.num_iovas = ranges.length;
    cmd.out_iova_alignment = BigInt(ioas.iovaAlignment);
    copyCmdToUser(mm, arg, u.iommu_ioas_iova_ranges, cmd, userSize);
    if (room < ranges.length) throw new KernelError('EMSGSIZE', `${ranges.length} ranges, room for ${room}`);
    return 0;
  }

  private ioctlMap(mm: UserMemory, arg: number, min: number): number {
    const { cmd, userSize } = copyCmdFromUser(mm, arg, u.iommu_ioas_map, min);
    const known = u.IOMMU_IOAS_MAP_FIXED_IOVA | u.IOMMU_IOAS_MAP_WRITEABLE | u.IOMMU_IOAS_MAP_READABLE;
    if ((cmd.flags & ~known) !== 0 || cmd.__reserved !== 0) {
      throw new KernelError('EOPNOTSUPP', `IOAS_MAP flags 0x${cmd.flags.toString(16)} / __reserved`);
    }
    if ((cmd.flags & (u.IOMMU_IOAS_MAP_WRITEABLE | u.IOMMU_IOAS_MAP_READABLE)) === 0) {
      throw new KernelError('EINVAL', 'IOAS_MAP needs READABLE or WRITEABLE');
    }
    if (cmd.iova >= U64_MAX || cmd.length >= U64_MAX || cmd.iova + cmd.length - 1n > U64_MAX) {
      throw new KernelError('EOVERFLOW', 'IOAS_MAP iova/length');
    }
    const ioas = this.ioas(cmd.ioas_id);
    if (cmd.length === 0n) throw new KernelError('EINVAL', 'IOAS_MAP length 0');
    const fixed = (cmd.flags & u.IOMMU_IOAS_MAP_FIXED_IOVA) !== 0;
    const length = toModelIova(cmd.length);
    const target = fixed ? toModelIova(cmd.iova) : undefined;
    if (target !== undefined && target + length > IOAS_IOVA_MODEL_LIMIT) {
      throw new KernelError('EINVAL', 'IOAS_MAP beyond the IOVA the model represents');
    }
    const pinned = mm.resolve(toModelIova(cmd.user_va), length);
    const iova = ioas.map(pinned.memory, pinned.offset, length, target, convIommuProt(cmd.flags));
    cmd.iova = BigInt(iova);
    try {
      copyCmdToUser(mm, arg, u.iommu_ioas_map, cmd, userSize);
    } catch (e) {
      ioas.unmap(iova, length);
      throw e;
    }
    return 0;
  }

  private ioctlUnmap(mm: UserMemory, arg: number, min: number): number {
    const { cmd, userSize } = copyCmdFromUser(mm, arg, u.iommu_ioas_unmap, min);
    const ioas = this.ioas(cmd.ioas_id);
    let unmapped: number;
    if (cmd.iova === 0n && cmd.length === U64_MAX) {
      unmapped = ioas.unmapAll();
    } else {
      if (cmd.length === 0n) throw new KernelError('EINVAL', 'IOAS_UNMAP length 0');
      if (cmd.iova + cmd.length - 1n > U64_MAX) throw new KernelError('EOVERFLOW', 'IOAS_UNMAP range wraps');
      const iova = toModelIova(cmd.iova);
      const end = toModelIova(cmd.iova + cmd.length);
      unmapped = iova >= end ? 0 : ioas.unmap(iova, end - iova);
      if (unmapped === 0) throw new KernelError('ENOENT', 'IOAS_UNMAP: nothing mapped in the range');
    }
    cmd.length = BigInt(unmapped);
    copyCmdToUser(mm, arg, u.iommu_ioas_unmap, cmd, userSize);
    return 0;
  }

  private ioctlOption(mm: UserMemory, arg: number, min: number): number {
    const { cmd, userSize } = copyCmdFromUser(mm, arg, u.iommu_option, min);
    if (cmd.__reserved !== 0) throw new KernelError('EOPNOTSUPP', '__reserved must be 0');
    if (cmd.op !== u.IOMMU_OPTION_OP_SET && cmd.op !== u.IOMMU_OPTION_OP_GET) {
      throw new KernelError('EOPNOTSUPP', `option op ${cmd.op}`);
    }
    const set = cmd.op === u.IOMMU_OPTION_OP_SET;
    if (cmd.option_id === u.IOMMU_OPTION_RLIMIT_MODE) {
      if (cmd.object_id !== 0) throw new KernelError('EINVAL', 'RLIMIT_MODE is global: object_id must be 0');
      if (set) {
        if (cmd.val64 > 1n) throw new KernelError('EINVAL', `RLIMIT_MODE ${cmd.val64}`);
        this.rlimitMode = cmd.val64;
      } else cmd.val64 = this.rlimitMode;
    } else if (cmd.option_id === u.IOMMU_OPTION_HUGE_PAGES) {
      const ioas = this.ioas(cmd.object_id);
      if (set) {
        if (cmd.val64 > 1n) throw new KernelError('EINVAL', `HUGE_PAGES ${cmd.val64}`);
        if (cmd.val64 === 1n) ioas.enableLargePages();
        else ioas.disableLargePages();
      } else cmd.val64 = ioas.hugePages ? 1n : 0n;
    } else {
      throw new KernelError('EOPNOTSUPP', `option ${cmd.option_id}`);
    }
    if (!set) copyCmdToUser(mm, arg, u.iommu_option, cmd, userSize);
    return 0;
  }

  private ioctlVfioIoas(mm: UserMemory, arg: number, min: number): number {
    const { cmd, userSize } = copyCmdFromUser(mm, arg, u.iommu_vfio_ioas, min);
    if (cmd.__reserved !== 0) throw new KernelError('EOPNOTSUPP', '__reserved must be 0');
    switch (cmd.op) {
      case u.IOMMU_VFIO_IOAS_GET:
        if (this.vfioIoasId === 0) throw new KernelError('ENODEV', 'no VFIO compatibility IOAS');
        cmd.ioas_id = this.vfioIoasId;
        copyCmdToUser(mm, arg, u.iommu_vfio_ioas, cmd, userSize);
        return 0;
      case u.IOMMU_VFIO_IOAS_SET:
        this.ioas(cmd.ioas_id);
        this.vfioIoasId = cmd.ioas_id;
        return 0;
      case u.IOMMU_VFIO_IOAS_CLEAR:
        this.vfioIoasId = 0;
        return 0;
      default:
        throw new KernelError('EOPNOTSUPP', `VFIO_IOAS op ${cmd.op}`);
    }
  }

  private ioctlHwptAlloc(mm: UserMemory, arg: number, min: number): number {
    const { cmd, userSize } = copyCmdFromUser(mm, arg, u.iommu_hwpt_alloc, min);
    if (cmd.__reserved !== 0 || cmd.__reserved2 !== 0)
      throw new KernelError('EOPNOTSUPP', '__reserved must be 0');
    if ((cmd.data_type === u.IOMMU_HWPT_DATA_NONE) !== (cmd.data_len === 0)) {
      throw new KernelError('EINVAL', 'data_len must be 0 exactly when data_type is NONE');
    }
    const idev = this.getDevice(cmd.dev_id);
    const pt = this.objects.get(cmd.pt_id);
    if (pt?.type !== 'ioas') {
      throw new KernelError('EINVAL', `pt_id ${cmd.pt_id} is not an IOAS (nested HWPTs are not modelled)`);
    }
    const known = u.IOMMU_HWPT_ALLOC_NEST_PARENT | u.IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
    if ((cmd.flags & ~known) !== 0)
      throw new KernelError('EOPNOTSUPP', `HWPT_ALLOC flags 0x${cmd.flags.toString(16)}`);
    if ((cmd.flags & u.IOMMU_HWPT_ALLOC_DIRTY_TRACKING) !== 0 && !idev.dev.hw.dirtyTracking) {
      throw new KernelError('EOPNOTSUPP', `${idev.dev.name}: its IOMMU cannot track dirty pages`);
    }
    // The driver's domain_alloc_paging_flags with user data: only the selftest mock takes any.
    let domainOptions: IommuDomainAllocOptions = {};
    if (cmd.data_type !== u.IOMMU_HWPT_DATA_NONE) {
      if (cmd.data_type !== IOMMU_HWPT_DATA_SELFTEST || idev.dev.hw.format.name !== 'iommufd-mock') {
        throw new KernelError('EOPNOTSUPP', `data_type 0x${cmd.data_type.toString(16)}`);
      }
      const cfg = copyHwptSelftestFromUser(mm, Number(cmd.data_uptr), cmd.data_len);
      domainOptions = mockDomainAllocOptions(cfg.pagetable_type, idev.dev.hw);
    }
    const id = this.allocHwpt(idev.id, cmd.pt_id, cmd.flags, domainOptions);
    cmd.out_hwpt_id = id;
    try {
      copyCmdToUser(mm, arg, u.iommu_hwpt_alloc, cmd, userSize);
    } catch (e) {
      const hwpt = this.hwpt(id);
      hwpt.ioas.removeDomain(hwpt.domain);
      this.objects.delete(id);
      throw e;
    }
    return 0;
  }

  private ioctlGetHwInfo(mm: UserMemory, arg: number, min: number): number {
    const { cmd, userSize } = copyCmdFromUser(mm, arg, u.iommu_hw_info, min);
    if ((cmd.flags & ~u.IOMMU_HW_INFO_FLAG_INPUT_TYPE) !== 0 || cmd.__reserved.some((b) => b !== 0)) {
      throw new KernelError('EOPNOTSUPP', 'GET_HW_INFO flags / __reserved');
    }
    const hw = this.getDevice(cmd.dev_id).dev.hw;
    // Vendor data: the capability register as its driver exposes it (VT-d: cap, ecap; AMD: efr; ARM: idr[0]).
    const [lo, hi] = hw.capabilityRegister();
    const data = new Uint8Array(24);
    const view = new DataView(data.buffer);
    let type: number;
    let len: number;
    switch (hw.format.name) {
      case 'vtd-ss':
        type = u.IOMMU_HW_INFO_TYPE_INTEL_VTD;
        view.setUint32(16, lo, true); // struct iommu_hw_info_vtd { flags, __reserved, cap_reg, ecap_reg }
        view.setUint32(20, hi, true);
        len = 24;
        break;
      case 'amd-v1':
        type = u.IOMMU_HW_INFO_TYPE_AMD;
        view.setUint32(0, lo, true); // struct iommu_hw_info_amd { efr, efr2 }
        view.setUint32(4, hi, true);
        len = 16;
        break;
      case 'iommufd-mock':
        type = IOMMU_HW_INFO_TYPE_SELFTEST;
        iommu_test_hw_info.encode({ flags: 0, test_reg: lo }, data, 0);
        len = iommu_test_hw_info.size;
        break;
      default:
        type = u.IOMMU_HW_INFO_TYPE_ARM_SMMUV3;
        view.setUint32(8, lo, true); // struct iommu_hw_info_arm_smmuv3 { flags, __reserved, idr[6], … }
        len = 16;
    }
    if (
      (cmd.flags & u.IOMMU_HW_INFO_FLAG_INPUT_TYPE) !== 0 &&
      cmd.out_data_type !== type &&
      cmd.out_data_type !== 0
    ) {
      throw new KernelError('EOPNOTSUPP', `hw info type ${cmd.out_data_type}`);
    }
    if (cmd.data_len > 0) mm.copyToUser(Number(cmd.data_uptr), data.subarray(0, Math.min(cmd.data_len, len)));
    cmd.data_len = len;
    cmd.out_data_type = type;
    cmd.out_max_pasid_log2 = 0;
    cmd.out_capabilities = hw.dirtyTracking ? BigInt(u.IOMMU_HW_CAP_DIRTY_TRACKING) : 0n;
    copyCmdToUser(mm, arg, u.iommu_hw_info, cmd, userSize);
    return 0;
  }

  private ioctlSetDirtyTracking(mm: UserMemory, arg: number, min: number): number {
    const { cmd } = copyCmdFromUser(mm, arg, u.iommu_hwpt_set_dirty_tracking, min);
    if ((cmd.flags & ~u.IOMMU_HWPT_DIRTY_TRACKING_ENABLE) !== 0) {
      throw new KernelError('EOPNOTSUPP', `SET_DIRTY_TRACKING flags 0x${cmd.flags.toString(16)}`);
    }
    const hwpt = this.hwpt(cmd.hwpt_id);
    hwpt.ioas.setDirtyTracking(hwpt.domain, (cmd.flags & u.IOMMU_HWPT_DIRTY_TRACKING_ENABLE) !== 0);
    return 0;
  }

  private ioctlGetDirtyBitmap(mm: UserMemory, arg: number, min: number): number {
    const { cmd } = copyCmdFromUser(mm, arg, u.iommu_hwpt_get_dirty_bitmap, min);
    if ((cmd.flags & ~u.IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR) !== 0 || cmd.__reserved !== 0) {
      throw new KernelError('EOPNOTSUPP', 'GET_DIRTY_BITMAP flags / __reserved');
    }
    const hwpt = this.hwpt(cmd.hwpt_id);
    // check_add_overflow(iova, length - 1): with length 0, `length - 1` wraps to U64_MAX.
    const last = cmd.length === 0n ? cmd.iova + U64_MAX : cmd.iova + cmd.length - 1n;
    if (last > U64_MAX) throw new KernelError('EOVERFLOW', 'GET_DIRTY_BITMAP range wraps');
    const align = BigInt(hwpt.ioas.iovaAlignment);
    if (cmd.iova % align !== 0n || (cmd.iova + cmd.length) % align !== 0n) {
      throw new KernelError('EINVAL', `range not aligned to the IOAS alignment ${align}`);
    }
    if (cmd.page_size === 0n) throw new KernelError('EINVAL', 'page_size 0');
    const mask = cmd.page_size - 1n;
    if ((cmd.iova & mask) !== 0n || ((cmd.iova + cmd.length) & mask) !== 0n) {
      throw new KernelError('EINVAL', 'range not aligned to page_size');
    }
    if (!hwpt.domain.dirtyOps)
      throw new KernelError('EOPNOTSUPP', `HWPT ${cmd.hwpt_id} has no dirty tracking`);
    if (cmd.length === 0n || cmd.iova >= BigInt(IOAS_IOVA_MODEL_LIMIT)) return 0;
    const iova = Number(cmd.iova);
    const length = Number(cmd.length > SAFE - cmd.iova ? SAFE - cmd.iova : cmd.length);
    // The bit granularity is the lowest set bit of page_size (iova_bitmap's __ffs), power of two or not.
    const granule = Number(cmd.page_size & -cmd.page_size);
    let bitmap: IovaBitmap | null;
    try {
      bitmap = new IovaBitmap(mm, iova, length, granule, Number(cmd.data));
    } catch (e) {
      // A bitmap that cannot be pinned drops its bits silently; the walk still clears.
      if (!(e instanceof KernelError)) throw e;
      bitmap = null;
    }
    hwpt.ioas.readAndClearDirty(
      hwpt.domain,
      iova,
      length,
      (cmd.flags & u.IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR) !== 0,
      bitmap,
    );
    return 0;
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private getDevice(id: number): IommufdDevice {
    const o = this.objects.get(id);
    if (o?.type !== 'device') throw new KernelError('ENOENT', `no device ${id}`);
    return o.idev;
  }

  private releaseAuto(hwpt: HwptPaging): void {
    if (!hwpt.auto || hwpt.domain.devices.size > 0) return;
    hwpt.ioas.removeDomain(hwpt.domain);
    this.objects.delete(hwpt.id);
  }
}

/** IOAS_MAP / IOAS_COPY flags → the mapping's protection (kernel `conv_iommu_prot`, ioas.c). */
function convIommuProt(flags: number): IommuProt {
  return {
    read: (flags & u.IOMMU_IOAS_MAP_READABLE) !== 0,
    write: (flags & u.IOMMU_IOAS_MAP_WRITEABLE) !== 0,
  };
}

/** A u64 IOVA/length as a model number (values past 2^53 become the model limit, which maps nothing). */
function toModelIova(v: bigint): number {
  return v > SAFE ? IOAS_IOVA_MODEL_LIMIT : Number(v);
}

/**
 * The file operations of `/dev/iommu`: ioctls are the iommufd commands, the last `fput` releases the
 * context. A file is an iommufd exactly when its `ops` is this object (what {@link iommufdCtxFromFile}
 * checks).
 *
 * Kernel counterpart: `iommufd_fops` (drivers/iommu/iommufd/main.c).
 */
export const IOMMUFD_FOPS: FileOperations<IommufdCtx> = Object.freeze({
  ioctl: (file: KernelFile<IommufdCtx>, current: Task, cmd: number, arg: number) =>
    file.privateData.ioctl(current, cmd, arg),
  release: (file: KernelFile<IommufdCtx>) => file.privateData.release(),
});

/**
 * Open `/dev/iommu`: a new context behind a file whose ioctls are the iommufd commands. Install it in a
 * process (`process.install(file)`) and call `process.ioctl(fd, IOMMU_…, argVa)`.
 *
 * Kernel counterpart: `iommufd_fops_open` / `iommufd_fops_release` (drivers/iommu/iommufd/main.c).
 */
export function openIommufd(): KernelFile<IommufdCtx> {
  return anonInodeGetFile<IommufdCtx>('iommufd', IOMMUFD_FOPS, new IommufdCtx(), FMODE_READ | FMODE_WRITE);
}

/**
 * The iommufd context behind `file`, taking a reference on the file (the context lives until the
 * matching `file.put()`, even if every fd on it is closed). This is how VFIO_DEVICE_BIND_IOMMUFD turns
 * the user's `iommufd` fd into a context.
 *
 * Kernel counterpart: `iommufd_ctx_from_file` / `iommufd_ctx_from_fd` (fget, f_op check) and
 * `iommufd_ctx_put` (fput) in drivers/iommu/iommufd/main.c.
 * @throws KernelError EBADFD if `file` is not an iommufd, EBADF if it was already released.
 */
export function iommufdCtxFromFile(file: KernelFile<unknown>): IommufdCtx {
  if (file.ops !== (IOMMUFD_FOPS as FileOperations<unknown>)) {
    throw new KernelError('EBADFD', `${file.name} is not an iommufd`);
  }
  file.get();
  return file.privateData as IommufdCtx;
}
