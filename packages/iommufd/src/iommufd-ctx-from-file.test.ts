import { anonInodeGetFile, errnoOf, FMODE_READ } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { IommuDevice, IommuHw } from './iommu-hw.js';
import { IOMMUFD_FOPS, iommufdCtxFromFile, openIommufd } from './iommufd-ctx.js';

describe('iommufdCtxFromFile (iommufd_ctx_from_file)', () => {
  it('returns the context and holds the file until the matching put', () => {
    const file = openIommufd();
    expect(file.ops).toBe(IOMMUFD_FOPS);
    const ctx = iommufdCtxFromFile(file);
    expect(ctx).toBe(file.privateData);
    const dev = new IommuDevice(new IommuHw({ format: 'amd-v1' }), 'vf0');
    const id = ctx.bindDevice(dev);
    const ioas = ctx.allocIoas();
    const hwpt = ctx.attachDevice(id, ioas); // an automatic domain for the IOAS
    file.put(); // the fd's reference: the binding's keeps the context
    expect(file.released).toBe(false);
    expect(dev.domain).toBe(ctx.hwpt(hwpt).domain);
    file.put(); // the last reference: release detaches and frees everything
    expect(file.released).toBe(true);
    expect(dev.domain).toBeUndefined();
    expect(ctx.objectIds()).toEqual([]);
    expect(errnoOf(() => iommufdCtxFromFile(file))).toBe('EBADF');
  });

  it('refuses a file that is not an iommufd with EBADFD, taking no reference', () => {
    const other = anonInodeGetFile('vfio-device', {}, null, FMODE_READ);
    expect(errnoOf(() => iommufdCtxFromFile(other))).toBe('EBADFD');
    other.put();
    expect(other.released).toBe(true);
  });
});
