import { errnoOf, Process, UserMemory } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { openVfioContainer } from './vfio-container.js';
import {
  VFIO_CHECK_EXTENSION,
  VFIO_GET_API_VERSION,
  VFIO_IOMMU_GET_INFO,
  VFIO_SET_IOMMU,
  VFIO_TYPE1_IOMMU,
  VFIO_TYPE1v2_IOMMU,
  VFIO_UNMAP_ALL,
} from './vfio-type1-uapi.js';

function bed() {
  const proc = new Process(new UserMemory());
  const file = openVfioContainer();
  const fd = proc.install(file);
  const container = file.privateData;
  const err = (cmd: number, arg: number) => errnoOf(() => proc.ioctl(fd, cmd, arg));
  return { proc, fd, container, err, ioctl: (cmd: number, arg: number) => proc.ioctl(fd, cmd, arg) };
}

describe('the legacy container (drivers/vfio/container.c vfio_fops_unl_ioctl)', () => {
  it('VFIO_GET_API_VERSION → VFIO_API_VERSION, with or without groups', () => {
    expect(bed().ioctl(VFIO_GET_API_VERSION, 0)).toBe(0);
  });

  it('vfio_ioctl_set_iommu: `list_empty(&container->group_list)` → EINVAL; the container stays unset', () => {
    const b = bed();
    expect(b.err(VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)).toBe('EINVAL');
    expect(b.container.iommu).toBeUndefined();
  });

  it('vfio_ioctl_set_iommu: `container->iommu_driver` already set → EINVAL; the driver stays', () => {
    const b = bed();
    b.container.addGroup({ name: 'vf', pinnedPageDirtyScope: false });
    b.ioctl(VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU);
    const driver = b.container.iommu;
    expect(b.err(VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU)).toBe('EINVAL');
    expect(b.container.iommu).toBe(driver);
    expect(driver?.v2).toBe(true);
  });

  it('vfio_ioctl_set_iommu: no driver answers the type → ENODEV; type1 answers but cannot open it (UNMAP_ALL) → EINVAL', () => {
    const b = bed();
    b.container.addGroup({ name: 'vf', pinnedPageDirtyScope: false });
    expect(b.err(VFIO_SET_IOMMU, 42)).toBe('ENODEV');
    expect(b.err(VFIO_SET_IOMMU, VFIO_UNMAP_ALL)).toBe('EINVAL');
    expect(b.container.iommu).toBeUndefined();
  });

  it('an IOMMU ioctl before VFIO_SET_IOMMU → EINVAL', () => {
    const b = bed();
    b.container.addGroup({ name: 'vf', pinnedPageDirtyScope: false });
    expect(b.err(VFIO_IOMMU_GET_INFO, 0)).toBe('EINVAL');
  });

  it('CHECK_EXTENSION asks type1 with no instance before SET_IOMMU, the instance after', () => {
    const b = bed();
    expect(b.ioctl(VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU)).toBe(1);
    expect(b.ioctl(VFIO_CHECK_EXTENSION, 10)).toBe(0); // UPDATE_VADDR: not without an instance
    b.container.addGroup({ name: 'vf', pinnedPageDirtyScope: false });
    b.ioctl(VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU);
    expect(b.ioctl(VFIO_CHECK_EXTENSION, 10)).toBe(1);
  });

  it('the last group leaving unsets the container (it can be set again, as v1)', () => {
    const b = bed();
    const g = { name: 'vf', pinnedPageDirtyScope: false };
    b.container.addGroup(g);
    b.ioctl(VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU);
    b.container.removeGroup(g);
    expect(b.container.iommu).toBeUndefined();
    b.container.addGroup(g);
    b.ioctl(VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU);
    expect(b.container.iommu?.v2).toBe(false);
  });
});
