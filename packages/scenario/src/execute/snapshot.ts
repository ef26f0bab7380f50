import { HisiAccVfCoreDevice } from '@vfio-sim/hisi-acc-vfio-pci';
import type { IommufdCtx } from '@vfio-sim/iommufd';
import { VfioMigrationFile } from '@vfio-sim/migration-v2';
import { KernelError, type Process } from '@vfio-sim/platform';
import { SnapshotTokens } from './snapshot-tokens.js';
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
    out[vmm.process.name] = writeProcessState(vmm, SCRATCH.clear()).toValue();
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
    [entry.vmm.process.name]: writeProcessState(entry.vmm, SCRATCH.clear()).toValue(),
  };
}

/**
 * {@link deviceSnapshot} without the QM function's hardware state, written into `out` as tokens (for
 * {@link DeviceFingerprint}, which keeps that part as words): `out.toValue()` is the object.
 */
export function writeDeviceSnapshotWithoutHardware(entry: DeviceEntry, out: SnapshotTokens): SnapshotTokens {
  out.object().key(`${entry.host.name} ${entry.pciName}`);
  writeDeviceState(entry, out);
  out.key(entry.vmm.process.name);
  return writeProcessState(entry.vmm, out).end();
}

/** The tokens the object forms above are built from (reused). */
const SCRATCH = new SnapshotTokens();

function deviceState(entry: DeviceEntry): Record<string, unknown> {
  const device = writeDeviceState(entry, SCRATCH.clear()).toValue() as Record<string, unknown>;
  const qm = entry.host.qmFunction(entry.pciName).snapshot();
  return { ...device, paused: qm.transient.paused, hardware: qm.state };
}

function writeDeviceState(entry: DeviceEntry, out: SnapshotTokens): SnapshotTokens {
  const vdev = entry.host.pci.get(entry.pciName).drvdata;
  const hisi = vdev instanceof HisiAccVfCoreDevice ? vdev : undefined;
  out
    .object()
    .field('open', isOpen(entry.handle.process, entry.handle.fd))
    .field('v2State', hisi?.migState)
    .field('v1State', hisi?.migRegionV1?.state)
    .key('savingSession');
  writeMigrationFile(hisi?.savingMigf, out).key('resumingSession');
  writeMigrationFile(hisi?.resumingMigf, out).field('hostWindowMapped', hisi?.window.isMapped);
  return out.end();
}

/** Whether `fd` is open in `process`. */
function isOpen(process: Process, fd: number): boolean {
  try {
    process.file(fd);
    return true;
  } catch (e) {
    if (e instanceof KernelError) return false;
    throw e;
  }
}

/** A data session's position, length and whether it is disabled; null for none. */
function writeMigrationFile(f: VfioMigrationFile | undefined, out: SnapshotTokens): SnapshotTokens {
  if (f === undefined) return out.leaf(null);
  return out
    .object()
    .field('position', f.position)
    .field('length', f.totalLength)
    .field('disabled', f.disabled)
    .end();
}

function writeProcessState(vmm: VmmProcess, out: SnapshotTokens): SnapshotTokens {
  out.object().key('fds');
  writeFdTable(vmm.process, out).key('iommufd');
  return writeIommufdState(vmm.ctx, out).end();
}

function writeFdTable(process: Process, out: SnapshotTokens): SnapshotTokens {
  out.array();
  for (const fd of process.openFds()) {
    const file = process.file(fd);
    const data = file.privateData;
    out.object().field('fd', fd).field('file', file.name);
    if (data instanceof VfioMigrationFile) writeMigrationFile(data, out.key('data'));
    out.end();
  }
  return out.end();
}

function writeIommufdState(ctx: IommufdCtx, out: SnapshotTokens): SnapshotTokens {
  out.array();
  for (const { id, type } of ctx.objectIds()) {
    out.object().field('id', id).field('type', type);
    if (type === 'ioas') {
      out.key('mappings').array();
      for (const a of ctx.ioas(id).mappings)
        out.object().field('iova', a.iova).field('length', a.length).key('prot').value(a.prot).end();
      out.end();
    } else if (type === 'hwpt_paging') {
      const hwpt = ctx.hwpt(id);
      out
        .field('ioas', hwpt.ioasId)
        .field('dirtyTracking', hwpt.domain.dirtyTrackingEnabled)
        .field('devices', hwpt.domain.devices.size);
    }
    out.end();
  }
  return out.end();
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
