import { IOMMU_HWPT_ALLOC_DIRTY_TRACKING } from '@vfio-sim/iommufd';
import { errnoOf, GuestMemory, IdentityDmaPort, Process } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { CDEV_RAM, cdevBed, cdevBoundBed } from '../__fixtures__/cdev-bed.js';
import { BlockedDmaPort } from '../pci/blocked-dma-port.js';
import { vfioPciCoreUnregisterDevice } from '../pci-core/register.js';
import {
  VFIO_DEVICE_ATTACH_PASID,
  vfio_device_attach_iommufd_pt,
  vfio_device_bind_iommufd,
  vfio_device_detach_iommufd_pt,
} from '../uapi/device-cdev.js';
import { VFIO_DEVICE_FEATURE_MIGRATION, VFIO_DEVICE_FEATURE_PROBE } from '../uapi/device-feature.js';
import {
  VFIO_DEVICE_ATTACH_IOMMUFD_PT,
  VFIO_DEVICE_BIND_IOMMUFD,
  VFIO_DEVICE_DETACH_IOMMUFD_PT,
} from '../uapi/ioctl.js';
import { VFIO_PCI_BAR2_REGION_INDEX, VFIO_PCI_INDEX_TO_OFFSET } from '../uapi/regions.js';

const BAR2 = VFIO_PCI_INDEX_TO_OFFSET(VFIO_PCI_BAR2_REGION_INDEX);

describe('the device cdev fd before VFIO_DEVICE_BIND_IOMMUFD', () => {
  it('answers EINVAL to every ioctl, read, write and mmap, and does not open the device', () => {
    const bed = cdevBed();
    const h = bed.vfio.openDeviceCdev(bed.process, bed.dirty.pdev.name);
    expect(h.fd).toBe(bed.iommufdFd + 1);
    expect(errnoOf(() => h.getInfo())).toBe('EINVAL');
    expect(errnoOf(() => h.getRegionInfo(VFIO_PCI_BAR2_REGION_INDEX))).toBe('EINVAL');
    expect(errnoOf(() => h.pread(BAR2, 4))).toBe('EINVAL');
    expect(errnoOf(() => h.pwriteU32(BAR2, 1))).toBe('EINVAL');
    expect(errnoOf(() => h.mmap(VFIO_PCI_BAR2_REGION_INDEX, 0x1000))).toBe('EINVAL');
    expect(errnoOf(() => h.reset())).toBe('EINVAL');
    expect(errnoOf(() => h.feature(VFIO_DEVICE_FEATURE_MIGRATION | VFIO_DEVICE_FEATURE_PROBE))).toBe(
      'EINVAL',
    );
    expect(errnoOf(() => h.attachIommufdPt(1))).toBe('EINVAL');
    expect(errnoOf(() => h.detachIommufdPt())).toBe('EINVAL');
    expect(bed.dirty.vdev.openCount).toBe(0);
    expect(bed.dirty.vdev.events).toEqual([]);
    expect(bed.ictx.objectIds()).toEqual([]);
    h.close(); // releasing an unbound cdev fd unbinds nothing
    expect(bed.dirty.vdev.events).toEqual([]);
    expect(errnoOf(() => bed.vfio.openDeviceCdev(bed.process, '0000:75:00.7'))).toBe('ENODEV');
  });
});

describe('VFIO_DEVICE_BIND_IOMMUFD', () => {
  it('checks argsz, flags, the fd and its type in the kernel order; a refusal changes nothing', () => {
    const bed = cdevBed();
    const h = bed.vfio.openDeviceCdev(bed.process, bed.dirty.pdev.name);
    const other = bed.vfio.openDeviceCdev(bed.process, bed.plain.pdev.name);
    const bind = (v: Partial<{ argsz: number; flags: number; iommufd: number }>) =>
      errnoOf(() =>
        h.ioctl(VFIO_DEVICE_BIND_IOMMUFD, vfio_device_bind_iommufd, {
          argsz: 16,
          flags: 0,
          iommufd: bed.iommufdFd,
          out_devid: 0,
          ...v,
        }),
      );
    expect(bind({ argsz: 15 })).toBe('EINVAL');
    expect(bind({ flags: 1 })).toBe('EINVAL');
    expect(bind({ iommufd: 0xffff_ffff })).toBe('EINVAL'); // -1
    expect(bind({ iommufd: 99 })).toBe('EBADF');
    expect(bind({ iommufd: other.fd })).toBe('EBADFD'); // a vfio device fd is not an iommufd
    expect(errnoOf(() => h.ioctl(VFIO_DEVICE_BIND_IOMMUFD, 0))).toBe('EFAULT');
    // The fd is looked up in the caller's own table: in another process, fd 3 is that process's cdev.
    const qemu2 = new Process(bed.mm, 'qemu2');
    const h2 = bed.vfio.openDeviceCdev(qemu2, bed.dirty.pdev.name);
    expect(h2.fd).toBe(bed.iommufdFd);
    expect(errnoOf(() => h2.bindIommufd(bed.iommufdFd))).toBe('EBADFD');
    expect(errnoOf(() => h2.bindIommufd(h2.fd + 1))).toBe('EBADF');
    expect(bed.dirty.vdev.openCount).toBe(0);
    expect(bed.dirty.vdev.events).toEqual([]);
    expect(bed.ictx.objectIds()).toEqual([]);
    expect(errnoOf(() => h.getInfo())).toBe('EINVAL');
    // No reference leaked: closing the only fd releases the context.
    bed.process.close(bed.iommufdFd);
    expect(bed.iommufdFile.released).toBe(true);
  });

  it('opens the device (bind_iommufd, then open_device) and returns the device id', () => {
    const bed = cdevBed();
    const h = bed.vfio.openDeviceCdev(bed.process, bed.dirty.pdev.name);
    const devid = h.bindIommufd(bed.iommufdFd);
    expect(bed.ictx.objectIds()).toEqual([{ id: devid, type: 'device' }]);
    expect(bed.dirty.vdev.events).toEqual(['bind', 'open']);
    expect(bed.dirty.vdev.openCount).toBe(1);
    expect(bed.dirty.vdev.cdevOpened).toBe(true);
    expect(h.getRegionInfo(VFIO_PCI_BAR2_REGION_INDEX).size).toBe(0x10000);
    h.pwriteU32(BAR2 + 0x40, 7);
    expect(h.preadU32(BAR2 + 0x40)).toBe(7);
    // Bound but not attached: the device model holds a blocked port.
    const port = bed.dirty.engine.port!;
    expect(port).toBeInstanceOf(BlockedDmaPort);
    expect(errnoOf(() => port.writeU32(0, 1))).toBe('EFAULT');
    expect(bed.dirty.pdev.iommu!.faults).toBe(1);
  });

  it('refuses a second bind, a second cdev and the legacy path while bound; state unchanged', () => {
    const bed = cdevBed();
    const h = bed.vfio.openDeviceCdev(bed.process, bed.dirty.pdev.name);
    const devid = h.bindIommufd(bed.iommufdFd);
    expect(errnoOf(() => h.bindIommufd(bed.iommufdFd))).toBe('EINVAL');
    const h2 = bed.vfio.openDeviceCdev(bed.process, bed.dirty.pdev.name);
    expect(errnoOf(() => h2.bindIommufd(bed.iommufdFd))).toBe('EINVAL');
    expect(errnoOf(() => h2.getInfo())).toBe('EINVAL');
    expect(errnoOf(() => bed.vfio.openDevice(bed.process, bed.dirty.pdev.name))).toBe('EBUSY');
    expect(bed.dirty.vdev.events).toEqual(['bind', 'open']);
    expect(bed.dirty.vdev.openCount).toBe(1);
    expect(bed.ictx.objectIds()).toEqual([{ id: devid, type: 'device' }]);
    h2.close();
    expect(bed.dirty.vdev.openCount).toBe(1);
    expect(h.getInfo().numRegions).toBeGreaterThan(0);
  });

  it('refuses a cdev bind while the legacy path has the device open, and on a legacy fd', () => {
    const bed = cdevBed();
    const legacy = bed.vfio.openDevice(bed.process, bed.dirty.pdev.name);
    expect(errnoOf(() => legacy.bindIommufd(bed.iommufdFd))).toBe('EINVAL');
    const h = bed.vfio.openDeviceCdev(bed.process, bed.dirty.pdev.name);
    expect(errnoOf(() => h.bindIommufd(bed.iommufdFd))).toBe('EINVAL');
    expect(bed.ictx.objectIds()).toEqual([]);
    expect(bed.dirty.vdev.events).toEqual(['open']);
    expect(legacy.preadU32(BAR2)).toBe(0); // the legacy fd is untouched
    legacy.close();
    h.bindIommufd(bed.iommufdFd);
    expect(bed.dirty.vdev.events).toEqual(['open', 'close', 'bind', 'open']);
  });

  it('a function behind no IOMMU cannot bind (ENODEV); a failing open_device unbinds again', () => {
    const bed = cdevBed();
    const h = bed.vfio.openDeviceCdev(bed.process, bed.noIommu.pdev.name);
    expect(errnoOf(() => h.bindIommufd(bed.iommufdFd))).toBe('ENODEV');
    expect(bed.noIommu.vdev.openCount).toBe(0);
    expect(bed.noIommu.vdev.events).toEqual([]);
    bed.dirty.vdev.failOpen = true;
    const d = bed.vfio.openDeviceCdev(bed.process, bed.dirty.pdev.name);
    expect(errnoOf(() => d.bindIommufd(bed.iommufdFd))).toBe('EIO');
    expect(bed.dirty.vdev.events).toEqual(['bind', 'unbind']);
    expect(bed.dirty.vdev.openCount).toBe(0);
    expect(bed.dirty.vdev.iommufdDevice).toBeUndefined();
    expect(bed.ictx.objectIds()).toEqual([]);
    expect(errnoOf(() => d.getInfo())).toBe('EINVAL');
    bed.dirty.vdev.failOpen = false;
    expect(d.bindIommufd(bed.iommufdFd)).toBeGreaterThan(0);
  });

  it('a device unregistered while an unbound cdev fd is open cannot be bound (ENODEV), no reference kept', () => {
    const bed = cdevBed();
    const h = bed.vfio.openDeviceCdev(bed.process, bed.plain.pdev.name);
    vfioPciCoreUnregisterDevice(bed.plain.vdev);
    expect(errnoOf(() => h.bindIommufd(bed.iommufdFd))).toBe('ENODEV');
    expect(bed.plain.vdev.openCount).toBe(0);
    expect(bed.ictx.objectIds()).toEqual([]);
    bed.process.close(bed.iommufdFd);
    expect(bed.iommufdFile.released).toBe(true);
  });

  it('a bound device cannot be unregistered (EBUSY) until its cdev fd is closed', () => {
    const bed = cdevBed();
    const h = bed.vfio.openDeviceCdev(bed.process, bed.plain.pdev.name);
    h.bindIommufd(bed.iommufdFd);
    expect(errnoOf(() => vfioPciCoreUnregisterDevice(bed.plain.vdev))).toBe('EBUSY');
    expect(bed.plain.vdev.registered).toBe(true);
    h.close();
    vfioPciCoreUnregisterDevice(bed.plain.vdev);
    expect(bed.plain.vdev.registered).toBe(false);
  });
});

describe('VFIO_DEVICE_ATTACH_IOMMUFD_PT / DETACH_IOMMUFD_PT', () => {
  it('attaching to an IOAS translates the device DMA through an automatic domain; detach blocks it', () => {
    const bed = cdevBoundBed();
    const hwpt = bed.h.attachIommufdPt(bed.ioas);
    expect(hwpt).not.toBe(bed.ioas);
    expect(bed.ictx.objectIds().map((o) => o.type)).toEqual(['device', 'ioas', 'hwpt_paging']);
    expect(bed.dirty.vdev.iommufdAttached).toBe(true);
    const port = bed.dirty.engine.port!;
    expect(port).toBe(bed.dirty.pdev.iommu!.dmaPort);
    port.writeU32(0x1000, 0xdeadbeef);
    expect(bed.ram.readU32(0x1000)).toBe(0xdeadbeef);
    expect(bed.mm.readU32(bed.ramVa + 0x1000)).toBe(0xdeadbeef);
    expect(port.readU32(0x1000)).toBe(0xdeadbeef);
    expect(errnoOf(() => port.writeU32(CDEV_RAM, 1))).toBe('EFAULT'); // not mapped
    bed.h.detachIommufdPt();
    const blocked = bed.dirty.engine.port!;
    expect(blocked).toBeInstanceOf(BlockedDmaPort);
    expect(errnoOf(() => blocked.writeU32(0x1000, 1))).toBe('EFAULT');
    expect(errnoOf(() => port.writeU32(0x1000, 1))).toBe('EFAULT'); // a stale port is blocked too
    expect(bed.ram.readU32(0x1000)).toBe(0xdeadbeef);
    expect(bed.dirty.vdev.iommufdAttached).toBe(false);
    expect(bed.ictx.objectIds().map((o) => o.type)).toEqual(['device', 'ioas']); // auto domain gone
    bed.h.detachIommufdPt(); // detaching a detached device is a no-op
    expect(bed.h.attachIommufdPt(bed.ioas)).toBeGreaterThan(0);
    bed.dirty.engine.port!.writeU32(0x2000, 5);
    expect(bed.ram.readU32(0x2000)).toBe(5);
  });

  it('checks argsz, flags, PASID and the id; a failed attach or replace keeps the current state', () => {
    const bed = cdevBoundBed();
    const attach = (v: Partial<{ argsz: number; flags: number; pt_id: number }>) =>
      errnoOf(() =>
        bed.h.ioctl(VFIO_DEVICE_ATTACH_IOMMUFD_PT, vfio_device_attach_iommufd_pt, {
          argsz: 16,
          flags: 0,
          pt_id: bed.ioas,
          pasid: 0,
          ...v,
        }),
      );
    const detach = (v: Partial<{ argsz: number; flags: number }>) =>
      errnoOf(() =>
        bed.h.ioctl(VFIO_DEVICE_DETACH_IOMMUFD_PT, vfio_device_detach_iommufd_pt, {
          argsz: 12,
          flags: 0,
          pasid: 0,
          ...v,
        }),
      );
    const state = () => ({
      attached: bed.dirty.vdev.iommufdAttached,
      domain: bed.dirty.pdev.iommu!.domain,
      objects: bed.ictx.objectIds(),
      port: bed.dirty.engine.port,
    });
    const before = state();
    expect(attach({ argsz: 11 })).toBe('EINVAL');
    expect(attach({ flags: 2 })).toBe('EINVAL');
    expect(attach({ flags: VFIO_DEVICE_ATTACH_PASID })).toBe('EOPNOTSUPP');
    expect(attach({ pt_id: 999 })).toBe('ENOENT');
    expect(attach({ pt_id: bed.devid })).toBe('ENOENT'); // a device is no page table
    expect(errnoOf(() => bed.h.ioctl(VFIO_DEVICE_ATTACH_IOMMUFD_PT, 0))).toBe('EFAULT');
    expect(state()).toEqual(before);
    expect(attach({ argsz: 12 })).toBeUndefined(); // minsz is offsetofend(pt_id)
    const attached = state();
    expect(attached.attached).toBe(true);
    expect(attach({ pt_id: 999 })).toBe('ENOENT');
    expect(detach({ argsz: 7 })).toBe('EINVAL');
    expect(detach({ flags: 2 })).toBe('EINVAL');
    expect(detach({ flags: 1 })).toBe('EOPNOTSUPP');
    expect(errnoOf(() => bed.h.ioctl(VFIO_DEVICE_DETACH_IOMMUFD_PT, 0))).toBe('EFAULT');
    expect(state()).toEqual(attached);
    bed.dirty.engine.port!.writeU32(0x3000, 3);
    expect(bed.ram.readU32(0x3000)).toBe(3);
    expect(detach({ argsz: 8 })).toBeUndefined();
    expect(bed.dirty.vdev.iommufdAttached).toBe(false);
  });

  it('a dirty-tracking HWPT: device writes land in guest RAM and set the bits GET_DIRTY_BITMAP reads', () => {
    const bed = cdevBoundBed();
    const hwpt = bed.iommufd.hwptAlloc(bed.devid, bed.ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
    expect(bed.h.attachIommufdPt(hwpt)).toBe(hwpt);
    bed.iommufd.setDirtyTracking(hwpt, true);
    const port = bed.dirty.engine.port!;
    port.writeU32(0x3000, 0x11);
    port.write(0x5ffe, Uint8Array.of(1, 2, 3, 4)); // straddles pages 5 and 6
    port.readU32(0x9000); // reads dirty nothing
    expect(bed.ram.readU32(0x3000)).toBe(0x11);
    const bytes = new Uint8Array(4);
    bed.ram.read(0x5ffe, bytes);
    expect([...bytes]).toEqual([1, 2, 3, 4]);
    const bitmap = bed.mm.alloc(CDEV_RAM / 4096 / 8, 8);
    bed.iommufd.getDirtyBitmap(hwpt, 0, CDEV_RAM, 4096, bitmap);
    expect(bed.mm.readU64(bitmap)).toBe((1n << 3n) | (1n << 5n) | (1n << 6n));
    for (let i = 8; i < CDEV_RAM / 4096 / 8; i += 8) expect(bed.mm.readU64(bitmap + i)).toBe(0n);
    bed.mm.copyToUser(bitmap, new Uint8Array(CDEV_RAM / 4096 / 8));
    bed.iommufd.getDirtyBitmap(hwpt, 0, CDEV_RAM, 4096, bitmap);
    expect(bed.mm.readU64(bitmap)).toBe(0n); // read-and-clear
  });

  it('the vendor refuses a dirty-tracking HWPT for a device whose IOMMU cannot track', () => {
    const bed = cdevBoundBed();
    const p = bed.vfio.openDeviceCdev(bed.process, bed.plain.pdev.name);
    const plainId = p.bindIommufd(bed.iommufdFd);
    const objects = bed.ictx.objectIds();
    // Allocating one for it: EOPNOTSUPP (iommufd_hwpt_paging_alloc).
    expect(errnoOf(() => bed.iommufd.hwptAlloc(plainId, bed.ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING))).toBe(
      'EOPNOTSUPP',
    );
    expect(bed.ictx.objectIds()).toEqual(objects);
    // Attaching it to one allocated for a capable device on the same IOMMU type: EINVAL (attach_dev).
    const hwpt = bed.iommufd.hwptAlloc(bed.devid, bed.ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
    expect(errnoOf(() => p.attachIommufdPt(hwpt))).toBe('EINVAL');
    expect(bed.plain.vdev.iommufdAttached).toBe(false);
    expect(bed.plain.pdev.iommu!.domain).toBeUndefined();
    expect(bed.plain.engine.port).toBeInstanceOf(BlockedDmaPort);
    // The capable device takes it; the other one DMAs through the IOAS's automatic domain instead.
    expect(bed.h.attachIommufdPt(hwpt)).toBe(hwpt);
    const auto = p.attachIommufdPt(bed.ioas);
    expect(auto).not.toBe(hwpt);
    bed.plain.engine.port!.writeU32(0x4000, 9);
    expect(bed.ram.readU32(0x4000)).toBe(9);
  });
});

describe('closing a bound device cdev fd', () => {
  it('closes the device, then unbinds: the iommufd device and auto domain go, the old DMA port returns', () => {
    const bed = cdevBed();
    const before = new IdentityDmaPort(new GuestMemory(0x10000));
    bed.dirty.pdev.setDmaPort(before);
    const h = bed.vfio.openDeviceCdev(bed.process, bed.dirty.pdev.name);
    h.bindIommufd(bed.iommufdFd);
    const ioas = bed.iommufd.ioasAlloc();
    bed.iommufd.ioasMap(ioas, bed.ramVa, CDEV_RAM, { iova: 0 });
    h.attachIommufdPt(ioas);
    h.close();
    expect(bed.dirty.vdev.events).toEqual(['bind', 'open', 'close', 'unbind']);
    expect(bed.dirty.vdev.openCount).toBe(0);
    expect(bed.dirty.vdev.cdevOpened).toBe(false);
    expect(bed.dirty.vdev.iommufdDevice).toBeUndefined();
    expect(bed.ictx.objectIds()).toEqual([{ id: ioas, type: 'ioas' }]);
    expect(bed.dirty.pdev.iommu!.domain).toBeUndefined();
    expect(bed.dirty.engine.port).toBe(before);
    // The legacy path works again, and so does a new cdev bind.
    bed.vfio.openDevice(bed.process, bed.dirty.pdev.name).close();
    const again = bed.vfio.openDeviceCdev(bed.process, bed.dirty.pdev.name);
    expect(again.bindIommufd(bed.iommufdFd)).toBeGreaterThan(0);
  });

  it('the binding holds the iommufd: closing its fd first keeps the context until the device closes', () => {
    const { h, ioas, ...bed } = cdevBoundBed();
    h.attachIommufdPt(ioas);
    bed.process.close(bed.iommufdFd);
    expect(bed.iommufdFile.released).toBe(false);
    bed.dirty.engine.port!.writeU32(0x8000, 8);
    expect(bed.ram.readU32(0x8000)).toBe(8);
    h.close();
    expect(bed.iommufdFile.released).toBe(true);
    expect(bed.ictx.objectIds()).toEqual([]);
    expect(bed.dirty.engine.port).toBeInstanceOf(BlockedDmaPort);
  });
});
