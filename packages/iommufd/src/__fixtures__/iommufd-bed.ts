import { GuestMemory, Process, UserMemory } from '@vfio-sim/platform';
import type { IoPgtableFormatName } from '../io-pgtable-format.js';
import { IommuDevice, IommuHw } from '../iommu-hw.js';
import { IommufdClient } from '../iommufd-client.js';
import { type IommufdCtx, openIommufd } from '../iommufd-ctx.js';

/** What {@link iommufdBed} builds. */
export interface IommufdBedOptions {
  /** Page-table format of the device's IOMMU (default `amd-v1`). */
  readonly format?: IoPgtableFormatName;
  /** Bytes of guest RAM mapped into the process (default 64 MiB). */
  readonly ramSize?: number;
  /** The process's heap (default: UserMemory's). */
  readonly heapSize?: number;
  /** Name of the bound device (default `vf0`). */
  readonly devName?: string;
}

/**
 * The selftest bed (tools/testing/selftests/iommu): a VMM process with guest RAM mapped, an open
 * iommufd with its client, and one device bound to it (not attached).
 */
export function iommufdBed(options: IommufdBedOptions = {}) {
  const mm = new UserMemory(options.heapSize);
  const proc = new Process(mm);
  const guest = new GuestMemory(options.ramSize ?? 64 << 20);
  const ramVa = mm.mmap(guest);
  const file = openIommufd();
  const fd = proc.install(file);
  const ctx: IommufdCtx = file.privateData;
  const client = new IommufdClient(proc, fd);
  const hw = new IommuHw({ format: options.format ?? 'amd-v1' });
  const dev = new IommuDevice(hw, options.devName ?? 'vf0');
  const devId = ctx.bindDevice(dev);
  return { mm, proc, guest, ramVa, file, fd, ctx, client, hw, dev, devId };
}
