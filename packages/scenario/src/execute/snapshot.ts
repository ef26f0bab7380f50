import { HisiAccVfCoreDevice } from '@vfio-sim/hisi-acc-vfio-pci';
import type { HwptPaging, Ioas, IommufdCtx } from '@vfio-sim/iommufd';
import { VfioMigrationFile } from '@vfio-sim/migration-v2';
import type { Process } from '@vfio-sim/platform';
import type { DeviceEntry, ScenarioWorld, VmmProcess } from './world.js';

/**
 * Everything a rejected call must leave as it was, read from the model's side (no system call, so taking
 * it changes nothing): for each device the scenario knows, its v2 state, v1 region state, data sessions,
 * host window and the QM function's state; for each VMM process, its open fds and data files, and every
 * iommufd object (IOAS mappings, HWPT dirty tracking, device attachments).
 */
export function snapshot(world: ScenarioWorld): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const entry of world.allDevices()) out[`${entry.host.name} ${entry.pciName}`] = deviceState(entry);
  for (const vmm of new Set([...world.allVmms(), ...world.allDevices().map((d) => d.vmm)]))
    out[vmm.process.name] = processState(vmm);
  return out;
}

/**
 * The part of {@link snapshot} one device is in: its state and its VMM process's (fds, data files,
 * iommufd objects) — what a call on that device must leave as it was, whatever else runs meanwhile (a
 * guest's jobs on another device, when the call lets virtual time pass).
 */
export function deviceSnapshot(entry: DeviceEntry): Record<string, unknown> {
  return {
    [`${entry.host.name} ${entry.pciName}`]: deviceState(entry),
    [entry.vmm.process.name]: processState(entry.vmm),
  };
}

/**
 * {@link deviceSnapshot} without the QM function's hardware state (for {@link DeviceFingerprint}, which
 * keeps that part as words).
 */
export function deviceSnapshotWithoutHardware(entry: DeviceEntry): Record<string, unknown> {
  return {
    [`${entry.host.name} ${entry.pciName}`]: deviceState(entry, false),
    [entry.vmm.process.name]: processState(entry.vmm),
  };
}

function deviceState(entry: DeviceEntry, hardware = true): unknown {
  const vdev = entry.host.pci.get(entry.pciName).drvdata;
  const hisi = vdev instanceof HisiAccVfCoreDevice ? vdev : undefined;
  const device = {
    open: entry.handle.process.openFds().includes(entry.handle.fd),
    v2State: hisi?.migState,
    v1State: hisi?.migRegionV1?.state,
    savingSession: hisi?.savingMigf !== undefined ? migrationFile(hisi.savingMigf) : null,
    resumingSession: hisi?.resumingMigf !== undefined ? migrationFile(hisi.resumingMigf) : null,
    hostWindowMapped: hisi?.window.isMapped,
  };
  if (!hardware) return device;
  const qm = entry.host.qmFunction(entry.pciName).snapshot();
  return { ...device, paused: qm.transient.paused, hardware: qm.state };
}

function migrationFile(f: VfioMigrationFile): unknown {
  return { position: f.position, length: f.totalLength, disabled: f.disabled };
}

function processState(vmm: VmmProcess): unknown {
  return { fds: fdTable(vmm.process), iommufd: iommufdState(vmm.ctx) };
}

function fdTable(process: Process): unknown {
  return process.openFds().map((fd) => {
    const file = process.file(fd);
    const data = file.privateData;
    return {
      fd,
      file: file.name,
      ...(data instanceof VfioMigrationFile ? { data: migrationFile(data) } : {}),
    };
  });
}

function iommufdState(ctx: IommufdCtx): unknown {
  return ctx.objectIds().map(({ id, type }) => {
    if (type === 'ioas') return { id, type, mappings: ioasMappings(ctx.ioas(id)) };
    if (type === 'hwpt_paging') return { id, type, ...hwptState(ctx.hwpt(id)) };
    return { id, type };
  });
}

function ioasMappings(ioas: Ioas): unknown {
  return ioas.mappings.map((a) => ({ iova: a.iova, length: a.length, prot: a.prot }));
}

function hwptState(hwpt: HwptPaging): Record<string, unknown> {
  return {
    ioas: hwpt.ioasId,
    dirtyTracking: hwpt.domain.dirtyTrackingEnabled,
    devices: hwpt.domain.devices.size,
  };
}

/**
 * The first difference between two snapshots, as `where: before → after` (undefined when equal), e.g.
 * `source 0000:75:00.1 v2State: 2 → 1`.
 */
export function snapshotDiff(before: unknown, after: unknown, path = ''): string | undefined {
  if (Object.is(before, after)) return undefined;
  if (typeof before !== 'object' || typeof after !== 'object' || before === null || after === null)
    return `${path}: ${show(before)} → ${show(after)}`;
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  // the path of a key is built only where the values differ (snapshots are mostly equal)
  const at = (k: string): string | undefined =>
    Object.is(b[k], a[k])
      ? undefined
      : snapshotDiff(b[k], a[k], Array.isArray(before) ? `${path}[${k}]` : path === '' ? k : `${path} ${k}`);
  for (const k of Object.keys(b)) {
    const diff = at(k);
    if (diff !== undefined) return diff;
  }
  for (const k of Object.keys(a)) {
    if (Object.hasOwn(b, k)) continue;
    const diff = at(k);
    if (diff !== undefined) return diff;
  }
  return undefined;
}

/** A value of a snapshot, at most 120 characters. */
function show(v: unknown): string {
  const text = v === undefined ? 'none' : typeof v === 'string' ? v : JSON.stringify(v);
  return text.length > 120 ? `${text.slice(0, 117)}…` : text;
}
