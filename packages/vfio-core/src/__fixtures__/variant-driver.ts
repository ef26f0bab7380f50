import {
  anonInodeGetFile,
  type FilePosition,
  FMODE_READ,
  FMODE_WRITE,
  KernelError,
  type KernelFile,
  type MmioRegion,
  Process,
  type Task,
  UserMemory,
  type VmArea,
} from '@vfio-sim/platform';
import { pciDisableSriov, pciEnableSriov } from '../pci/iov.js';
import type { PciDev, PciDriver, PciFunctionDesc } from '../pci/pci-dev.js';

import { PciHost } from '../pci/pci-host.js';
import { PCI_DEVICE, PCI_DRIVER_OVERRIDE_DEVICE_VFIO } from '../pci/pci-ids.js';
import { VFIO_PCI_CORE_OPS } from '../pci-core/core-ops.js';
import { vfioPciCoreRegisterDevRegion } from '../pci-core/dev-region.js';
import { vfioPciCoreEnable, vfioPciCoreFinishEnable } from '../pci-core/enable.js';
import { vfioPciCoreIoctl } from '../pci-core/ioctl.js';
import { vfioPciCoreMmap, vfioPciVmaRegion } from '../pci-core/mmap.js';
import { vfioPciCoreRead, vfioPciCoreWrite } from '../pci-core/rdwr.js';
import { vfioPciCoreProbe, vfioPciCoreRemove } from '../pci-core/register.js';
import type { VfioOpsStyle, VfioPciRegionOps } from '../pci-core/vfio-pci-core-device.js';
import { VfioPciCoreDevice } from '../pci-core/vfio-pci-core-device.js';
import {
  VFIO_DEVICE_STATE_RESUMING,
  VFIO_DEVICE_STATE_RUNNING,
  VFIO_DEVICE_STATE_STOP,
  VFIO_DEVICE_STATE_STOP_COPY,
  VFIO_MIGRATION_STOP_COPY,
} from '../uapi/device-feature.js';
import { VFIO_DEVICE_GET_REGION_INFO } from '../uapi/ioctl.js';
import {
  VFIO_REGION_INFO_FLAG_MMAP,
  VFIO_REGION_INFO_FLAG_READ,
  VFIO_REGION_INFO_FLAG_WRITE,
  VFIO_REGION_SUBTYPE_MIGRATION_DEPRECATED,
  VFIO_REGION_TYPE_MIGRATION_DEPRECATED,
  vfio_region_info,
} from '../uapi/region-info.js';
import {
  VFIO_PCI_BAR2_REGION_INDEX,
  VFIO_PCI_INDEX_TO_OFFSET,
  VFIO_PCI_OFFSET_TO_INDEX,
  vfioPciOffsetInRegion,
} from '../uapi/regions.js';
import { Vfio } from '../vfio/vfio.js';
import type { VfioDeviceOps, VfioLogOps, VfioLogRange, VfioMigrationOps } from '../vfio/vfio-device.js';
import { RamBar } from './ram-bar.js';

export const FIXTURE_VENDOR = 0x19e5;
export const FIXTURE_PF_DEVICE = 0xa250;
export const FIXTURE_VF_DEVICE = 0xa251;
export const FIXTURE_DRIVER = 'fixture-vfio-pci';
export const FIXTURE_REGION_SIZE = 64;

/**
 * A variant driver shaped like hisi-acc-vfio-pci: BAR2 is split in two and only the first half is
 * exposed on every path (region info via an ioctl override, read, write, mmap); a device-specific
 * region (type 3 / subtype 1, like the v1 migration region) is registered at open; simple migration
 * and DMA-logging ops.
 */
export class FixtureVfDevice extends VfioPciCoreDevice {
  migState = VFIO_DEVICE_STATE_RUNNING;
  readonly regionData = new Uint8Array(FIXTURE_REGION_SIZE);
  regionReleased = 0;
  logging: readonly VfioLogRange[] | undefined = undefined;
  readonly dirty: VfioLogRange[] = [];
  readonly events: string[] = [];
}

function bar2Half(vdev: VfioPciCoreDevice): number {
  return vdev.pdev.resource[VFIO_PCI_BAR2_REGION_INDEX]!.len / 2;
}

/** The ioctl override: GET_REGION_INFO of BAR2 reports half the BAR; everything else goes to the core. */
export function fixtureIoctl(vdev: FixtureVfDevice, current: Task, cmd: number, arg: number): number {
  if (cmd === VFIO_DEVICE_GET_REGION_INFO) {
    const info = current.mm.readStruct(vfio_region_info, arg);
    if (info.argsz < vfio_region_info.size) throw new KernelError('EINVAL', 'argsz');
    if (info.index === VFIO_PCI_BAR2_REGION_INDEX) {
      info.offset = BigInt(VFIO_PCI_INDEX_TO_OFFSET(info.index));
      info.size = BigInt(bar2Half(vdev));
      info.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE | VFIO_REGION_INFO_FLAG_MMAP;
      current.mm.copyToUser(arg, vfio_region_info.encode(info));
      return 0;
    }
  }
  return vfioPciCoreIoctl(vdev, current, cmd, arg);
}

function clampBar2(vdev: VfioPciCoreDevice, count: number, pos: FilePosition): number {
  if (VFIO_PCI_OFFSET_TO_INDEX(pos.value) !== VFIO_PCI_BAR2_REGION_INDEX) return count;
  const off = vfioPciOffsetInRegion(pos.value);
  const half = bar2Half(vdev);
  if (off >= half) throw new KernelError('EINVAL', `BAR2 offset ${off} in the migration half`);
  return Math.min(count, half - off);
}

const regionOps: VfioPciRegionOps<FixtureVfDevice> = {
  rw(vdev, _region, current, buf, count, pos, iswrite) {
    if (pos >= FIXTURE_REGION_SIZE) throw new KernelError('EINVAL', `region pos ${pos}`);
    const n = Math.min(count, FIXTURE_REGION_SIZE - pos);
    if (iswrite) vdev.regionData.set(current.mm.copyFromUser(buf, n), pos);
    else current.mm.copyToUser(buf, vdev.regionData.subarray(pos, pos + n));
    return n;
  },
  release(vdev) {
    vdev.regionReleased++;
  },
};

/** The variant ops, written explicitly: vfio-pci-core's table with five overrides. */
export const FIXTURE_OPS: VfioDeviceOps<FixtureVfDevice> = {
  ...VFIO_PCI_CORE_OPS,
  name: FIXTURE_DRIVER,
  openDevice(vdev) {
    vfioPciCoreEnable(vdev);
    vfioPciCoreRegisterDevRegion(
      vdev,
      VFIO_REGION_TYPE_MIGRATION_DEPRECATED,
      VFIO_REGION_SUBTYPE_MIGRATION_DEPRECATED,
      regionOps,
      FIXTURE_REGION_SIZE,
      VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE,
    );
    vfioPciCoreFinishEnable(vdev);
    vdev.migState = VFIO_DEVICE_STATE_RUNNING;
    vdev.events.push('open');
  },
  ioctl: fixtureIoctl,
  read(vdev, current, buf, count, pos) {
    return vfioPciCoreRead(vdev, current, buf, clampBar2(vdev, count, pos), pos);
  },
  write(vdev, current, buf, count, pos) {
    return vfioPciCoreWrite(vdev, current, buf, clampBar2(vdev, count, pos), pos);
  },
  mmap(vdev: FixtureVfDevice, vma: VmArea): MmioRegion {
    const { index, start } = vfioPciVmaRegion(vma);
    if (index === VFIO_PCI_BAR2_REGION_INDEX) {
      if (start + vma.length > bar2Half(vdev))
        throw new KernelError('EINVAL', 'mmap into the migration half');
    }
    return vfioPciCoreMmap(vdev, vma);
  },
};

/** A migration data file holding `bytes` (read side) or collecting them (write side). */
function dataFile(name: string, bytes: Uint8Array | undefined, sink: number[]): KernelFile<null> {
  let at = 0;
  return anonInodeGetFile(
    name,
    {
      read(_f, current, buf, count) {
        const data = bytes ?? new Uint8Array(0);
        const n = Math.min(count, data.length - at);
        current.mm.copyToUser(buf, data.subarray(at, at + n));
        at += n;
        return n;
      },
      write(_f, current, buf, count) {
        sink.push(...current.mm.copyFromUser(buf, count));
        return count;
      },
    },
    null,
    bytes === undefined ? FMODE_WRITE : FMODE_READ,
  ).streamOpen();
}

/** Direct arcs only (no FSM): enough to exercise the feature dispatch. */
export const FIXTURE_MIG_OPS: VfioMigrationOps<FixtureVfDevice> = {
  migrationSetState(vdev, newState) {
    const from = vdev.migState;
    const arc = `${from}->${newState}`;
    let file: KernelFile<null> | undefined;
    switch (arc) {
      case `${VFIO_DEVICE_STATE_RUNNING}->${VFIO_DEVICE_STATE_STOP}`:
      case `${VFIO_DEVICE_STATE_STOP}->${VFIO_DEVICE_STATE_RUNNING}`:
      case `${VFIO_DEVICE_STATE_STOP_COPY}->${VFIO_DEVICE_STATE_STOP}`:
      case `${VFIO_DEVICE_STATE_RESUMING}->${VFIO_DEVICE_STATE_STOP}`:
        break;
      case `${VFIO_DEVICE_STATE_STOP}->${VFIO_DEVICE_STATE_STOP_COPY}`:
        file = dataFile('fixture_mig', vdev.regionData.slice(0, 8), []);
        break;
      case `${VFIO_DEVICE_STATE_STOP}->${VFIO_DEVICE_STATE_RESUMING}`:
        file = dataFile('fixture_mig', undefined, []);
        break;
      default:
        throw new KernelError('EINVAL', `arc ${arc} not supported`);
    }
    vdev.migState = newState;
    vdev.events.push(`arc ${arc}`);
    return file;
  },
  migrationGetState: (vdev) => vdev.migState,
  migrationGetDataSize: () => 8,
};

export const FIXTURE_LOG_OPS: VfioLogOps<FixtureVfDevice> = {
  logStart(vdev, ranges, pageSize) {
    if (vdev.logging !== undefined) throw new KernelError('EBUSY', 'logging already started');
    vdev.logging = ranges;
    return Math.max(pageSize, 4096);
  },
  logStop(vdev) {
    vdev.logging = undefined;
    vdev.dirty.length = 0;
  },
  logReadAndClear(vdev, iova, length, dirty) {
    if (vdev.logging === undefined) throw new KernelError('EINVAL', 'logging not started');
    for (const d of vdev.dirty) {
      if (d.iova < iova + length && iova < d.iova + d.length) dirty.set(d.iova, d.length);
    }
    vdev.dirty.length = 0;
  },
};

/** Options of {@link fixtureVariantDriver}. */
export interface FixtureDriverOptions {
  readonly opsStyle?: VfioOpsStyle;
  /** Attach mig_ops/log_ops (default true). */
  readonly migration?: boolean;
  /** Override the ops table (for the ops-style tests). */
  readonly ops?: VfioDeviceOps<FixtureVfDevice>;
  /** Override the migration flags (registration-check tests). */
  readonly migrationFlags?: number;
}

/** The fixture variant as a PCI driver (binds only through driver_override). */
export function fixtureVariantDriver(options: FixtureDriverOptions = {}): PciDriver {
  return {
    name: FIXTURE_DRIVER,
    idTable: [PCI_DRIVER_OVERRIDE_DEVICE_VFIO(FIXTURE_VENDOR, FIXTURE_VF_DEVICE)],
    probe(pdev) {
      vfioPciCoreProbe(pdev, options.ops ?? FIXTURE_OPS, {
        ...(options.opsStyle === undefined ? {} : { opsStyle: options.opsStyle }),
        create: (p, ops, o) => {
          const d = new FixtureVfDevice(p, ops, o);
          if (options.migration !== false) {
            d.migOps = FIXTURE_MIG_OPS;
            d.logOps = FIXTURE_LOG_OPS;
            d.migrationFlags = options.migrationFlags ?? VFIO_MIGRATION_STOP_COPY;
          }
          return d;
        },
      });
    },
    remove: vfioPciCoreRemove,
  };
}

/** A PF driver that enables VFs through sriov_configure. */
export function fixturePfDriver(): PciDriver {
  return {
    name: 'fixture-pf',
    idTable: [PCI_DEVICE(FIXTURE_VENDOR, FIXTURE_PF_DEVICE)],
    probe(pdev) {
      pdev.drvdata = { pf: pdev.name };
    },
    sriovConfigure(pdev, n) {
      if (n === 0) pciDisableSriov(pdev);
      else pciEnableSriov(pdev, n);
      return n;
    },
  };
}

/** The ROM the fixture VF carries (to test ROM reads). */
export const FIXTURE_ROM = Uint8Array.from({ length: 8192 }, (_, i) => (i * 7) & 0xff);

function vfDesc(i: number, bar2s: RamBar[], resets: string[]): PciFunctionDesc {
  const bar2 = new RamBar(0x10000);
  bar2s.push(bar2);
  return {
    name: `0000:75:00.${i + 1}`,
    vendor: FIXTURE_VENDOR,
    device: FIXTURE_VF_DEVICE,
    revision: 0x30,
    bars: [undefined, new RamBar(0x100), bar2, undefined, new RamBar(0x10000)],
    rom: FIXTURE_ROM,
    reset: () => resets.push(`vf${i}`),
  };
}

/**
 * A host with a PF (fixture-pf) and one VF bound to the fixture variant through driver_override, and a
 * VMM process. `bar2` is the VF's BAR2 register file (its `log` shows what reached the device).
 */
export function testbed(options: FixtureDriverOptions = {}) {
  const host = new PciHost('testbed');
  const bar2s: RamBar[] = [];
  const resets: string[] = [];
  host.pciDriverRegister(fixturePfDriver());
  const pf = host.addFunction({
    name: '0000:75:00.0',
    vendor: FIXTURE_VENDOR,
    device: FIXTURE_PF_DEVICE,
    revision: 0x30,
    bars: [undefined, undefined, new RamBar(0x10000)],
    sriov: { totalVfs: 2, createVf: (i) => vfDesc(i, bar2s, resets) },
  });
  host.sriovConfigure(pf, 1);
  const vf = host.get('0000:75:00.1');
  const driver = fixtureVariantDriver(options);
  host.pciDriverRegister(driver);
  host.setDriverOverride(vf, FIXTURE_DRIVER);
  host.probe(vf);
  const vdev = vf.drvdata as FixtureVfDevice;
  const process = new Process(new UserMemory(), 'qemu');
  const vfio = Vfio.of(host);
  return { host, pf, vf: vf as PciDev, driver, vdev, process, vfio, bar2: bar2s[0]!, resets };
}
