import { IovaBitmap, LOG_MAX_RANGES } from '@vfio-sim/iommufd';
import { KernelError, type Task } from '@vfio-sim/platform';
import {
  VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT,
  VFIO_DEVICE_FEATURE_DMA_LOGGING_START,
  VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP,
  VFIO_DEVICE_FEATURE_GET,
  VFIO_DEVICE_FEATURE_MASK,
  VFIO_DEVICE_FEATURE_MIG_DATA_SIZE,
  VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
  VFIO_DEVICE_FEATURE_MIGRATION,
  VFIO_DEVICE_FEATURE_PROBE,
  VFIO_DEVICE_FEATURE_SET,
  vfio_device_feature,
  vfio_device_feature_dma_logging_control,
  vfio_device_feature_dma_logging_range,
  vfio_device_feature_dma_logging_report,
  vfio_device_feature_mig_data_size,
  vfio_device_feature_mig_state,
  vfio_device_feature_migration,
} from '../uapi/device-feature.js';
import type { VfioDevice, VfioLogOps, VfioLogRange, VfioMigrationOps } from './vfio-device.js';

/** Most ranges one DMA_LOGGING_START takes (`LOG_MAX_RANGES` = PAGE_SIZE / sizeof(range)); iommufd's. */
export { LOG_MAX_RANGES };

const HEADER = vfio_device_feature.size;
const KNOWN_FLAGS =
  VFIO_DEVICE_FEATURE_MASK | VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_PROBE;

/**
 * `vfio_check_feature(flags, argsz, supported_ops, minsz)`, in the kernel's order: GET/SET bits not in
 * `supportedOps` → EINVAL; PROBE → 0 (supported; the handler stops); neither GET nor SET → EINVAL;
 * payload `argsz < minsz` → EINVAL; otherwise 1 ("execute").
 * @throws KernelError EINVAL
 */
export function vfioCheckFeature(flags: number, argsz: number, supportedOps: number, minsz: number): 0 | 1 {
  const ops = flags & (VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET);
  if ((ops & ~supportedOps) !== 0) {
    throw new KernelError('EINVAL', `feature ${flags & VFIO_DEVICE_FEATURE_MASK}: unsupported GET/SET`, {
      flags,
    });
  }
  if ((flags & VFIO_DEVICE_FEATURE_PROBE) !== 0) return 0;
  if (ops === 0) throw new KernelError('EINVAL', 'feature without GET or SET');
  if (argsz < minsz) throw new KernelError('EINVAL', `feature payload ${argsz} < ${minsz}`, { argsz, minsz });
  return 1;
}

/**
 * VFIO_DEVICE_FEATURE (`vfio_ioctl_device_feature`, drivers/vfio/vfio_main.c): header checks, then the
 * features vfio_main owns (MIGRATION, MIG_DEVICE_STATE, MIG_DATA_SIZE, DMA_LOGGING_START/STOP/REPORT,
 * dispatched to the device's `migOps`/`logOps`; ENOTTY without them), and every other index to the
 * driver's `deviceFeature` (EINVAL if it has none).
 * @throws KernelError EFAULT, EINVAL, ENOTTY, or the handler's error.
 */
export function vfioIoctlDeviceFeature(device: VfioDevice, current: Task, arg: number): number {
  const hdr = current.mm.readStruct(vfio_device_feature, arg);
  if (hdr.argsz < HEADER)
    throw new KernelError('EINVAL', `vfio_device_feature argsz ${hdr.argsz} < ${HEADER}`);
  if ((hdr.flags & ~KNOWN_FLAGS) !== 0) {
    throw new KernelError('EINVAL', `vfio_device_feature: unknown flags 0x${hdr.flags.toString(16)}`);
  }
  if (
    (hdr.flags & VFIO_DEVICE_FEATURE_PROBE) === 0 &&
    (hdr.flags & VFIO_DEVICE_FEATURE_SET) !== 0 &&
    (hdr.flags & VFIO_DEVICE_FEATURE_GET) !== 0
  ) {
    throw new KernelError('EINVAL', 'vfio_device_feature: GET and SET together');
  }
  const payload = arg + HEADER;
  const argsz = hdr.argsz - HEADER;
  const flags = hdr.flags;
  switch (flags & VFIO_DEVICE_FEATURE_MASK) {
    case VFIO_DEVICE_FEATURE_MIGRATION:
      return featureMigration(device, current, flags, payload, argsz);
    case VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE:
      return featureMigDeviceState(device, current, flags, payload, argsz);
    case VFIO_DEVICE_FEATURE_DMA_LOGGING_START:
      return featureLoggingStart(device, current, flags, payload, argsz);
    case VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP:
      return featureLoggingStop(device, flags, argsz);
    case VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT:
      return featureLoggingReport(device, current, flags, payload, argsz);
    case VFIO_DEVICE_FEATURE_MIG_DATA_SIZE:
      return featureMigDataSize(device, current, flags, payload, argsz);
    default: {
      const handler = device.ops.deviceFeature;
      if (handler === undefined) {
        throw new KernelError('EINVAL', `${device.name}: no device_feature op`, {
          feature: flags & VFIO_DEVICE_FEATURE_MASK,
        });
      }
      return handler.call(device.ops, device, current, flags, payload, argsz);
    }
  }
}

function migOps(device: VfioDevice): VfioMigrationOps {
  if (device.migOps === undefined) throw new KernelError('ENOTTY', `${device.name}: no migration support`);
  return device.migOps;
}

function logOps(device: VfioDevice): VfioLogOps {
  if (device.logOps === undefined) throw new KernelError('ENOTTY', `${device.name}: no DMA logging support`);
  return device.logOps;
}

/** MIGRATION (GET): the device's `migration_flags`. */
function featureMigration(
  device: VfioDevice,
  current: Task,
  flags: number,
  arg: number,
  argsz: number,
): number {
  migOps(device);
  if (vfioCheckFeature(flags, argsz, VFIO_DEVICE_FEATURE_GET, vfio_device_feature_migration.size) === 0)
    return 0;
  current.mm.writeStruct(vfio_device_feature_migration, arg, { flags: BigInt(device.migrationFlags) });
  return 0;
}

/**
 * MIG_DEVICE_STATE (GET/SET). SET passes the requested state to the driver unvalidated; if the driver
 * returns a file it is installed in the caller and its fd written to `data_fd`; otherwise `data_fd` = -1,
 * the struct (with the requested state) is copied back, then the driver's error (if any) is thrown.
 */
function featureMigDeviceState(
  device: VfioDevice,
  current: Task,
  flags: number,
  arg: number,
  argsz: number,
): number {
  const ops = migOps(device);
  const supported = VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_GET;
  if (vfioCheckFeature(flags, argsz, supported, vfio_device_feature_mig_state.size) === 0) return 0;
  const mig = current.mm.readStruct(vfio_device_feature_mig_state, arg);
  const noFd = 0xffff_ffff;
  if ((flags & VFIO_DEVICE_FEATURE_GET) !== 0) {
    const state = ops.migrationGetState(device);
    current.mm.writeStruct(vfio_device_feature_mig_state, arg, { device_state: state, data_fd: noFd });
    return 0;
  }
  let file: ReturnType<VfioMigrationOps['migrationSetState']>;
  try {
    file = ops.migrationSetState(device, mig.device_state);
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
    current.mm.writeStruct(vfio_device_feature_mig_state, arg, { ...mig, data_fd: noFd });
    throw e;
  }
  if (file === undefined) {
    current.mm.writeStruct(vfio_device_feature_mig_state, arg, { ...mig, data_fd: noFd });
    return 0;
  }
  // vfio_ioct_mig_return_fd: the user struct must take the fd before the fd is installed.
  try {
    current.mm.resolve(arg, vfio_device_feature_mig_state.size);
  } catch (e) {
    file.put();
    throw e;
  }
  const fd = current.install(file);
  current.mm.writeStruct(vfio_device_feature_mig_state, arg, { ...mig, data_fd: fd });
  return 0;
}

/** MIG_DATA_SIZE (GET): `stop_copy_length` from the driver. */
function featureMigDataSize(
  device: VfioDevice,
  current: Task,
  flags: number,
  arg: number,
  argsz: number,
): number {
  const ops = migOps(device);
  if (vfioCheckFeature(flags, argsz, VFIO_DEVICE_FEATURE_GET, vfio_device_feature_mig_data_size.size) === 0)
    return 0;
  const len = ops.migrationGetDataSize(device);
  current.mm.writeStruct(vfio_device_feature_mig_data_size, arg, { stop_copy_length: BigInt(len) });
  return 0;
}

/** True if `x` is a multiple of `align` in u64 arithmetic (`IS_ALIGNED`; align 0 wraps to all-ones). */
function isAligned(x: bigint, align: bigint): boolean {
  return (x & ((align - 1n) & 0xffff_ffff_ffff_ffffn)) === 0n;
}

/** DMA_LOGGING_START (SET): validate the ranges, then `log_start`; the chosen page size is copied back. */
function featureLoggingStart(
  device: VfioDevice,
  current: Task,
  flags: number,
  arg: number,
  argsz: number,
): number {
  const ops = logOps(device);
  const layout = vfio_device_feature_dma_logging_control;
  if (vfioCheckFeature(flags, argsz, VFIO_DEVICE_FEATURE_SET, layout.size) === 0) return 0;
  const control = current.mm.readStruct(layout, arg);
  const nnodes = control.num_ranges;
  if (nnodes === 0) throw new KernelError('EINVAL', 'DMA logging: no ranges');
  if (nnodes > LOG_MAX_RANGES)
    throw new KernelError('E2BIG', `DMA logging: ${nnodes} ranges > ${LOG_MAX_RANGES}`);
  const ranges: VfioLogRange[] = [];
  const rangesVa = Number(control.ranges);
  const rsz = vfio_device_feature_dma_logging_range.size;
  for (let i = 0; i < nnodes; i++) {
    const r = current.mm.readStruct(vfio_device_feature_dma_logging_range, rangesVa + i * rsz);
    if (!isAligned(r.iova, control.page_size) || !isAligned(r.length, control.page_size)) {
      throw new KernelError('EINVAL', `DMA logging range ${i} not aligned to page_size ${control.page_size}`);
    }
    const end = r.iova + r.length;
    if (end > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new KernelError('EOVERFLOW', `DMA logging range ${i} [${r.iova}, +${r.length}) overflows`);
    }
    const range = { iova: Number(r.iova), length: Number(r.length) };
    for (const other of ranges) {
      if (range.iova < other.iova + other.length && other.iova < range.iova + range.length) {
        throw new KernelError('EINVAL', `DMA logging range ${i} overlaps another`);
      }
    }
    ranges.push(range);
  }
  ranges.sort((a, b) => a.iova - b.iova);
  const chosen = ops.logStart(device, ranges, Number(control.page_size));
  try {
    current.mm.writeStruct(layout, arg, { ...control, page_size: BigInt(chosen) });
  } catch (e) {
    ops.logStop(device);
    throw e;
  }
  return 0;
}

/** DMA_LOGGING_STOP (SET, no payload). */
function featureLoggingStop(device: VfioDevice, flags: number, argsz: number): number {
  const ops = logOps(device);
  if (vfioCheckFeature(flags, argsz, VFIO_DEVICE_FEATURE_SET, 0) === 0) return 0;
  ops.logStop(device);
  return 0;
}

/** DMA_LOGGING_REPORT (GET): the driver sets bits in the user's bitmap and clears its log. */
function featureLoggingReport(
  device: VfioDevice,
  current: Task,
  flags: number,
  arg: number,
  argsz: number,
): number {
  const ops = logOps(device);
  const layout = vfio_device_feature_dma_logging_report;
  if (vfioCheckFeature(flags, argsz, VFIO_DEVICE_FEATURE_GET, layout.size) === 0) return 0;
  const report = current.mm.readStruct(layout, arg);
  const ps = report.page_size;
  if (ps < 4096n || (ps & (ps - 1n)) !== 0n) {
    throw new KernelError('EINVAL', `DMA logging report page_size ${ps} is not a power of two ≥ 4096`);
  }
  if (report.iova + report.length > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new KernelError('EOVERFLOW', `DMA logging report [${report.iova}, +${report.length}) overflows`);
  }
  const iova = Number(report.iova);
  const length = Number(report.length);
  const bitmap = new IovaBitmap(current.mm, iova, length, Number(ps), Number(report.bitmap));
  ops.logReadAndClear(device, iova, length, bitmap);
  return 0;
}
