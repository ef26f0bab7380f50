import { KernelError } from '@vfio-sim/platform';
import {
  VFIO_DEVICE_FEATURE_GET,
  VFIO_DEVICE_FEATURE_MASK,
  VFIO_DEVICE_FEATURE_MIG_DATA_SIZE,
  VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
  VFIO_DEVICE_FEATURE_MIGRATION,
  VFIO_DEVICE_FEATURE_PROBE,
  VFIO_DEVICE_FEATURE_SET,
  VFIO_DEVICE_GET_REGION_INFO,
  Vfio,
  vfio_region_info,
} from '@vfio-sim/vfio-core';
import { littleEndian, regionIndex } from '../device-io.js';
import type { StepRunners } from '../observation.js';

/**
 * The device fd as a VMM uses it: open the cdev (and bind it to the process's iommufd), close, region
 * info, pread/pwrite at any offset and width, mmap and loads/stores through the mapping, reset, and
 * VFIO_DEVICE_FEATURE with raw flags and argsz.
 */
export const DEVICE_STEPS: StepRunners<
  'open' | 'close' | 'region-info' | 'pread' | 'pwrite' | 'mmap' | 'mmio' | 'reset' | 'feature'
> = {
  open(world, args) {
    const host = world.host(args.host);
    const vf = host.vfs[args.vf];
    if (vf === undefined) throw new KernelError('ENODEV', `${args.host} has no VF ${args.vf}`);
    const vmm = world.vmm(args.host);
    const handle = Vfio.of(host.pci).openDeviceCdev(vmm.process, vf.name);
    const entry = {
      handle,
      host,
      pciName: vf.name,
      vmm,
      dataFds: new Map<string, number>(),
      newestDataFd: undefined,
      devId: undefined as number | undefined,
    };
    world.addOpened(args.as, entry);
    if (args.bind) entry.devId = handle.bindIommufd(vmm.iommufd.fd);
  },
  close(world, args) {
    world.device(args.device).handle.close();
  },
  'region-info'(world, args, got) {
    const entry = world.device(args.device);
    const index = regionIndex(entry, args.region);
    if (args.argsz === undefined) {
      const info = entry.handle.getRegionInfo(index);
      got.size = info.size;
      got.flags = info.flags;
      return;
    }
    const { out } = entry.handle.ioctlStruct(
      VFIO_DEVICE_GET_REGION_INFO,
      vfio_region_info,
      { ...vfio_region_info.zero(), argsz: args.argsz, index },
      Math.max(args.argsz, vfio_region_info.size),
    );
    got.size = Number(out.size);
    got.flags = out.flags;
  },
  pread(world, args, got) {
    const entry = world.device(args.device);
    const bytes = entry.handle.pread(
      entry.handle.regionOffset(regionIndex(entry, args.region), args.offset),
      args.width,
    );
    got.bytes = bytes.length;
    got.data = bytes;
    got.value = littleEndian(bytes);
  },
  pwrite(world, args, got) {
    const entry = world.device(args.device);
    got.bytes = entry.handle.pwrite(
      entry.handle.regionOffset(regionIndex(entry, args.region), args.offset),
      args.bytes,
    );
  },
  mmap(world, args) {
    const entry = world.device(args.device);
    world.mappings.set(args.as, entry.handle.mmap(regionIndex(entry, args.region), args.length, args.offset));
  },
  mmio(world, args, got) {
    const mapping = world.mappings.get(args.mapping);
    if (mapping === undefined || !mapping.isMapped)
      throw new KernelError('EFAULT', `mapping "${args.mapping}" is not mapped (SIGSEGV)`);
    const data = new Uint8Array(args.width);
    if (args.write !== undefined) {
      let v = BigInt(args.write);
      for (let i = 0; i < args.width; i++, v >>= 8n) data[i] = Number(v & 0xffn);
      mapping.write(args.offset, data);
      return;
    }
    mapping.read(args.offset, data);
    got.value = littleEndian(data);
  },
  reset(world, args) {
    world.device(args.device).handle.reset();
  },
  feature(world, args, got) {
    const entry = world.device(args.device);
    const out = entry.handle.feature(args.flags, args.payload, args.argsz);
    got.payload = out;
    if ((args.flags & VFIO_DEVICE_FEATURE_PROBE) !== 0) return;
    const index = args.flags & VFIO_DEVICE_FEATURE_MASK;
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    if ((args.flags & VFIO_DEVICE_FEATURE_GET) !== 0 && out.length >= 8) {
      if (index === VFIO_DEVICE_FEATURE_MIGRATION) got.flags = Number(view.getBigUint64(0, true));
      if (index === VFIO_DEVICE_FEATURE_MIG_DATA_SIZE)
        got.stopCopyLength = Number(view.getBigUint64(0, true));
    }
    if ((args.flags & VFIO_DEVICE_FEATURE_SET) !== 0 && index === VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE) {
      const fd = out.length >= 8 ? view.getInt32(4, true) : -1;
      got.dataFd = fd >= 0 ? 'opened' : 'none';
      if (fd >= 0) entry.newestDataFd = fd;
    }
  },
};
