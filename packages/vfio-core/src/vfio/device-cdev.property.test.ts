import { fc, test } from '@fast-check/vitest';
import { errnoOf, GuestMemory, IdentityDmaPort } from '@vfio-sim/platform';
import { expect } from 'vitest';
import { CDEV_RAM, cdevBed } from '../__fixtures__/cdev-bed.js';
import type { VfioDeviceHandle } from '../client/device-handle.js';

type Action =
  | { readonly op: 'openCdev' | 'bind' | 'detach' | 'close'; readonly slot: 0 | 1 }
  | { readonly op: 'attach'; readonly slot: 0 | 1; readonly to: 'ioas' | 'hwpt' | 'bogus' }
  | { readonly op: 'legacyOpen' | 'legacyClose' }
  | { readonly op: 'dma'; readonly page: number; readonly value: number };

const slot = fc.constantFrom(0 as const, 1 as const);
const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({
    op: fc.constantFrom('openCdev' as const, 'bind' as const, 'detach' as const, 'close' as const),
    slot,
  }),
  fc.record({
    op: fc.constant('attach' as const),
    slot,
    to: fc.constantFrom('ioas' as const, 'hwpt' as const, 'bogus' as const),
  }),
  fc.record({ op: fc.constantFrom('legacyOpen' as const, 'legacyClose' as const) }),
  fc.record({ op: fc.constant('dma' as const), page: fc.nat(CDEV_RAM / 4096 - 1), value: fc.nat() }),
);

/**
 * Any sequence of cdev opens, binds, attaches, detaches, closes, legacy opens and device DMA against a
 * reference model of the kernel rules: each call's errno, the open count, the iommufd objects, where
 * the device's DMA goes (guest RAM, a fault, or the pre-bind port) and the guest RAM contents.
 */
test.prop([fc.array(action, { maxLength: 40 })], { numRuns: Number(process.env.CDEV_PROPERTY_RUNS ?? 150) })(
  'the cdev bind/attach/detach/close rules hold for any sequence',
  (actions) => {
    const bed = cdevBed();
    const { vdev, pdev, engine } = bed.dirty;
    const scratch = new GuestMemory(CDEV_RAM); // where DMA goes before the bind (the default domain)
    pdev.setDmaPort(new IdentityDmaPort(scratch));
    const ioas = bed.iommufd.ioasAlloc();
    bed.iommufd.ioasMap(ioas, bed.ramVa, CDEV_RAM, { iova: 0 });
    // A second device keeps a non-dirty HWPT of the same IOMMU type alive for the first to attach to.
    const other = bed.vfio.openDeviceCdev(bed.process, bed.plain.pdev.name);
    const hwpt = bed.iommufd.hwptAlloc(other.bindIommufd(bed.iommufdFd), ioas);

    const handles: (VfioDeviceHandle | undefined)[] = [undefined, undefined];
    const bound = [false, false];
    let legacy: VfioDeviceHandle | undefined;
    let attached: 'none' | 'ioas' | 'hwpt' = 'none';
    let claimed = false; // bound now: DMA goes through the attached domain or is blocked
    const ram = new Map<number, number>();

    for (const a of actions) {
      switch (a.op) {
        case 'openCdev':
          if (handles[a.slot] === undefined)
            handles[a.slot] = bed.vfio.openDeviceCdev(bed.process, pdev.name);
          break;
        case 'bind': {
          const h = handles[a.slot];
          if (h === undefined) break;
          const expected = bound[a.slot] || bound[1 - a.slot] || legacy !== undefined ? 'EINVAL' : undefined;
          expect(errnoOf(() => h.bindIommufd(bed.iommufdFd))).toBe(expected);
          if (expected === undefined) {
            bound[a.slot] = true;
            claimed = true;
          }
          break;
        }
        case 'attach': {
          const h = handles[a.slot];
          if (h === undefined) break;
          const id = a.to === 'ioas' ? ioas : a.to === 'hwpt' ? hwpt : 999;
          const expected = !bound[a.slot] ? 'EINVAL' : a.to === 'bogus' ? 'ENOENT' : undefined;
          expect(errnoOf(() => h.attachIommufdPt(id))).toBe(expected);
          if (expected === undefined) attached = a.to as 'ioas' | 'hwpt';
          break;
        }
        case 'detach': {
          const h = handles[a.slot];
          if (h === undefined) break;
          expect(errnoOf(() => h.detachIommufdPt())).toBe(bound[a.slot] ? undefined : 'EINVAL');
          if (bound[a.slot]) attached = 'none';
          break;
        }
        case 'close': {
          const h = handles[a.slot];
          if (h === undefined) break;
          h.close();
          handles[a.slot] = undefined;
          if (bound[a.slot]) {
            // Unbind: the domain is gone and the device gets back the port it had before the bind.
            attached = 'none';
            claimed = false;
          }
          bound[a.slot] = false;
          break;
        }
        case 'legacyOpen':
          if (legacy !== undefined) break;
          if (bound[0] || bound[1]) {
            expect(errnoOf(() => bed.vfio.openDevice(bed.process, pdev.name))).toBe('EBUSY');
          } else legacy = bed.vfio.openDevice(bed.process, pdev.name);
          break;
        case 'legacyClose':
          legacy?.close();
          legacy = undefined;
          break;
        case 'dma': {
          const iova = a.page * 4096;
          const err = errnoOf(() => engine.port!.writeU32(iova, a.value));
          if (attached !== 'none') {
            expect(err).toBeUndefined();
            ram.set(iova, a.value);
          } else if (!claimed) {
            expect(err).toBeUndefined();
            expect(scratch.readU32(iova)).toBe(a.value);
          } else expect(err).toBe('EFAULT');
          break;
        }
      }
      const anyBound = bound[0] || bound[1];
      expect(vdev.openCount).toBe((anyBound ? 1 : 0) + (legacy !== undefined ? 1 : 0));
      expect(vdev.cdevOpened).toBe(anyBound);
      expect(vdev.iommufdAttached).toBe(attached !== 'none');
      const types = bed.ictx.objectIds().map((o) => o.type);
      expect(types.filter((t) => t === 'device').length).toBe(anyBound ? 2 : 1);
      expect(types.filter((t) => t === 'hwpt_paging').length).toBe(attached === 'ioas' ? 2 : 1);
      for (const [iova, v] of ram) expect(bed.ram.readU32(iova)).toBe(v);
    }
  },
);
