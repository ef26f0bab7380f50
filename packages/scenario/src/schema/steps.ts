import { z } from 'zod';
import { expectation } from './expectation.js';
import { FAULT_KIND_NAMES, faultTarget, injectedFault, linkFault, migrationFault } from './faults.js';
import {
  deviceRef,
  featureName,
  hexBytes,
  localName,
  regionRef,
  u32,
  uint,
  V1_FIELD_NAMES,
  v1State,
  v2State,
} from './values.js';

/*
 * Every step is a mapping with exactly one action key (its arguments as the value), an optional
 * `expect:` and an optional `label:`. uAPI steps act on one host as a VMM does through the kernel's
 * interfaces; VM steps act on hosts and guests as libvirt and QEMU do.
 */

const device = deviceRef.optional().meta({ description: 'the device (default: the only one known)' });
const region = regionRef;
const into = localName
  .optional()
  .meta({ description: 'the buffer the bytes go to (default: the device name)' });
const from = localName
  .optional()
  .meta({ description: 'the buffer to take bytes from (default: the device name)' });
const fd = localName
  .optional()
  .meta({ description: "a data fd named with set-state's fd-as (default: the newest)" });

/** `corrupt:` — bytes changed before a write: each `at` an offset, `xor` flips bits or `value` replaces. */
const corrupt = z
  .array(
    z.strictObject({
      at: uint,
      xor: z.int().min(1).max(0xff).optional(),
      value: z.int().min(0).max(0xff).optional(),
    }),
  )
  .meta({ description: 'bytes to corrupt before writing: [{ at, xor }] or [{ at, value }]' });

/** Arguments that are just a device: `null` (the only device), its name, or `{ device }`. */
function onDevice<S extends z.core.$ZodLooseShape>(shape: S) {
  return z.union([z.null(), deviceRef, z.strictObject({ device, ...shape })]);
}

/** The name of a guest: `null` (the only guest), its name, or `{ guest }`. */
const guestOnly = z.union([z.null(), localName, z.strictObject({ guest: localName.optional() })]);

/** The actions, by name: each an argument schema and what it does (shown by editors). */
export const ACTIONS = {
  // ── uAPI: the device fd ────────────────────────────────────────────────────────────────────────
  open: {
    doc: 'open a VF’s device cdev in the host’s VMM process and VFIO_DEVICE_BIND_IOMMUFD it (bind: false leaves it unbound)',
    args: z.union([
      z.null(),
      z.strictObject({
        host: z.string().optional(),
        vf: uint.optional().meta({ description: 'the VF index (default 0)' }),
        as: localName.optional().meta({ description: 'the name later steps use (default vf)' }),
        bind: z.boolean().optional(),
      }),
    ]),
  },
  close: { doc: 'close the device fd (its mappings go with it)', args: onDevice({}) },
  'region-info': {
    doc: 'VFIO_DEVICE_GET_REGION_INFO of a region (argsz raw if given)',
    args: z.union([region, z.strictObject({ device, region, argsz: u32.optional() })]),
  },
  pread: {
    doc: 'pread at a region offset: width bytes, or a v1 register by field name',
    args: z.strictObject({
      device,
      region,
      offset: uint.optional(),
      width: uint.optional().meta({ description: 'bytes to read (default 4, or the field’s width)' }),
      field: z.enum(V1_FIELD_NAMES as [string, ...string[]]).optional(),
    }),
  },
  pwrite: {
    doc: 'pwrite at a region offset: a value of width bytes, or bytes in hex',
    args: z.strictObject({
      device,
      region,
      offset: uint.optional(),
      width: uint.optional(),
      field: z.enum(V1_FIELD_NAMES as [string, ...string[]]).optional(),
      value: uint.optional(),
      data: hexBytes.optional(),
    }),
  },
  mmap: {
    doc: 'mmap part of a region (MAP_SHARED, read/write)',
    args: z.strictObject({
      device,
      region,
      offset: uint.optional(),
      length: uint,
      as: localName.optional().meta({ description: 'the mapping’s name for mmio steps' }),
    }),
  },
  mmio: {
    doc: 'a load (or, with write, a store) of width bytes through a mapping',
    args: z.strictObject({
      mapping: localName,
      offset: uint,
      width: z.union([z.literal(1), z.literal(2), z.literal(4), z.literal(8)]).optional(),
      write: uint.optional(),
    }),
  },
  reset: { doc: 'VFIO_DEVICE_RESET', args: onDevice({}) },
  feature: {
    doc: 'VFIO_DEVICE_FEATURE of any feature: get, set, probe (probe-get, probe-set); raw flags/argsz allowed',
    args: z.strictObject({
      device,
      feature: featureName,
      op: z.enum(['get', 'set', 'probe', 'probe-get', 'probe-set']).optional(),
      flags: u32.optional().meta({ description: 'the raw flags word (replaces feature | op)' }),
      argsz: u32.optional().meta({ description: 'the raw argsz (default 8 + payload)' }),
      payload: z
        .union([hexBytes, uint])
        .optional()
        .meta({ description: 'the payload in hex, or its size in zero bytes' }),
    }),
  },
  // ── uAPI: v2 migration ────────────────────────────────────────────────────────────────────────
  'set-state': {
    doc: 'MIG_DEVICE_STATE SET; a returned data fd becomes the device’s newest',
    args: z.union([
      v2State,
      z.strictObject({
        device,
        state: v2State,
        'fd-as': localName.optional().meta({ description: 'a name for the returned data fd' }),
      }),
    ]),
  },
  'get-state': { doc: 'MIG_DEVICE_STATE GET', args: onDevice({}) },
  'mig-data-size': { doc: 'MIG_DATA_SIZE GET (stop_copy_length)', args: onDevice({}) },
  'read-data': {
    doc: 'read(2) on the data fd: count bytes in one call, or to EOF (reads until one returns 0)',
    args: z.union([
      z.null(),
      z.literal('eof'),
      uint,
      deviceRef,
      z.strictObject({
        device,
        fd,
        count: z.union([z.literal('eof'), uint]).optional(),
        chunk: uint.optional().meta({ description: 'bytes per read(2) when reading to EOF (default 4096)' }),
        into,
      }),
    ]),
  },
  'write-data': {
    doc: 'write(2) to the data fd: a buffer (or bytes), in chunks, with chosen bytes corrupted',
    args: z.union([
      z.null(),
      deviceRef,
      z.strictObject({
        device,
        fd,
        from,
        data: hexBytes.optional(),
        offset: uint.optional().meta({ description: 'where in the buffer to start (default 0)' }),
        count: uint.optional().meta({ description: 'bytes to write (default: the rest of the buffer)' }),
        chunk: uint.optional().meta({ description: 'bytes per write(2) (default: all in one)' }),
        corrupt: corrupt.optional(),
      }),
    ]),
  },
  'close-data': { doc: 'close(2) the data fd', args: onDevice({ fd }) },
  'precopy-info': {
    doc: 'VFIO_MIG_GET_PRECOPY_INFO on the data fd',
    args: onDevice({ fd, argsz: u32.optional() }),
  },
  // ── uAPI: v1 region ───────────────────────────────────────────────────────────────────────────
  'v1-set-state': {
    doc: 'write the v1 region’s device_state (keeping reserved bits, as QEMU does, unless raw)',
    args: z.union([v1State, z.strictObject({ device, state: v1State, raw: z.boolean().optional() })]),
  },
  'v1-save': {
    doc: 'the v1 save iteration: pending_bytes, data_offset, data_size, the data — until pending_bytes is 0 (once: one)',
    args: onDevice({ into, once: z.boolean().optional() }),
  },
  'v1-load': {
    doc: 'the v1 resume iteration: data_offset, the data written, data_size written',
    args: onDevice({ from, count: uint.optional(), corrupt: corrupt.optional() }),
  },
  // ── uAPI: DMA logging (device dirty tracking) ──────────────────────────────────────────────────
  'dma-logging-start': {
    doc: 'DMA_LOGGING_START over ranges with a page size',
    args: z.strictObject({
      device,
      ranges: z.array(z.strictObject({ iova: uint, length: uint })),
      'page-size': uint.optional(),
    }),
  },
  'dma-logging-stop': { doc: 'DMA_LOGGING_STOP', args: onDevice({}) },
  'dma-logging-report': {
    doc: 'DMA_LOGGING_REPORT of [iova, iova + length)',
    args: z.strictObject({ device, iova: uint, length: uint, 'page-size': uint.optional() }),
  },
  // ── uAPI: iommufd ────────────────────────────────────────────────────────────────────────────────
  'hw-info': { doc: 'IOMMU_GET_HW_INFO for the device', args: onDevice({}) },
  'ioas-alloc': {
    doc: 'IOMMU_IOAS_ALLOC in the host’s VMM process',
    args: z.union([
      z.null(),
      localName,
      z.strictObject({ host: z.string().optional(), as: localName.optional() }),
    ]),
  },
  'ioas-map': {
    doc: 'IOMMU_IOAS_MAP of the VMM’s RAM (from offset) at iova (FIXED_IOVA) or where the kernel picks',
    args: z.strictObject({
      ioas: localName.optional(),
      iova: uint.optional(),
      length: uint,
      offset: uint.optional().meta({ description: 'where in the VMM’s RAM the mapping starts (default 0)' }),
      readable: z.boolean().optional(),
      writeable: z.boolean().optional(),
    }),
  },
  'ioas-unmap': {
    doc: 'IOMMU_IOAS_UNMAP of [iova, iova + length)',
    args: z.strictObject({ ioas: localName.optional(), iova: uint, length: uint }),
  },
  'hwpt-alloc': {
    doc: 'IOMMU_HWPT_ALLOC on an IOAS for the device (dirty-tracking: IOMMU_HWPT_ALLOC_DIRTY_TRACKING)',
    args: z.strictObject({
      device,
      ioas: localName.optional(),
      'dirty-tracking': z.boolean().optional(),
      flags: u32.optional().meta({ description: 'raw flags (replaces dirty-tracking)' }),
      as: localName.optional(),
    }),
  },
  attach: {
    doc: 'VFIO_DEVICE_ATTACH_IOMMUFD_PT to an IOAS or HWPT',
    args: z.union([localName, z.strictObject({ device, pt: localName })]),
  },
  detach: { doc: 'VFIO_DEVICE_DETACH_IOMMUFD_PT', args: onDevice({}) },
  'set-dirty-tracking': {
    doc: 'IOMMU_HWPT_SET_DIRTY_TRACKING',
    args: z.union([z.boolean(), z.strictObject({ hwpt: localName.optional(), enable: z.boolean() })]),
  },
  'get-dirty-bitmap': {
    doc: 'IOMMU_HWPT_GET_DIRTY_BITMAP of [iova, iova + length) (no-clear: IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR)',
    args: z.strictObject({
      hwpt: localName.optional(),
      iova: uint.optional(),
      length: uint,
      'page-size': uint.optional(),
      'no-clear': z.boolean().optional(),
    }),
  },
  'dma-write': {
    doc: 'the device writes length bytes (or data) at an IOVA through its IOMMU, as its engines do',
    args: z.strictObject({ device, iova: uint, length: uint.optional(), data: hexBytes.optional() }),
  },
  // ── faults ────────────────────────────────────────────────────────────────────────────────────
  'inject-fault': { doc: 'inject a qm-hw fault into a VF or the PF now', args: injectedFault },
  'clear-fault': {
    doc: 'clear a fault kind (or every fault) of a VF or the PF',
    args: z.strictObject({
      host: z.string().optional(),
      target: faultTarget.optional(),
      kind: z.enum(FAULT_KIND_NAMES as unknown as [string, ...string[]]).optional(),
    }),
  },
  // ── VM level ──────────────────────────────────────────────────────────────────────────────────
  boot: {
    doc: 'boot a guest on a host with its devices (each the host’s first free one), guest drivers probed',
    args: z.union([
      z.null(),
      z.strictObject({
        guest: localName.optional().meta({ description: 'its name (default guest)' }),
        host: z.string().optional(),
        memory: uint.optional().meta({ description: 'guest RAM in bytes (default 64 MiB)' }),
        devices: z
          .union([uint, z.array(z.string())])
          .optional()
          .meta({ description: 'how many accelerator VFs (default 1), or the device models by name' }),
      }),
    ]),
  },
  workload: {
    doc: 'start the guest’s workload: jobs at once, then one every period-us (0: none) up to limit',
    args: z.union([
      z.null(),
      z.strictObject({
        guest: localName.optional(),
        jobs: uint.optional(),
        'period-us': uint.optional(),
        limit: uint.optional(),
        seed: u32.optional(),
      }),
    ]),
  },
  submit: {
    doc: 'submit more jobs on every accelerator VF of the guest',
    args: z.union([uint, z.strictObject({ guest: localName.optional(), jobs: uint })]),
  },
  run: {
    doc: 'let virtual time pass: µs, or idle (until no event is left)',
    args: z.union([uint, z.literal('idle'), z.strictObject({ us: uint })]),
  },
  'stop-vcpus': { doc: 'stop the guest’s vCPUs (vm_stop)', args: guestOnly },
  'start-vcpus': { doc: 'start the guest’s vCPUs (vm_start; queued interrupts delivered)', args: guestOnly },
  migrate: {
    doc: 'live-migrate the guest (virsh migrate --live): v1 or v2, RAM pre-copy, link, faults; then prove it',
    args: z.strictObject({
      guest: localName.optional(),
      to: z.string(),
      protocol: z.enum(['v1', 'v2']).optional(),
      precopy: z.boolean().optional(),
      link: z
        .strictObject({
          'bytes-per-us': z.number().positive().optional(),
          'section-crc': z.boolean().optional().meta({
            description: 'vfio sections framed with length + CRC-32C (default true; beyond upstream)',
          }),
          faults: z.array(linkFault).optional(),
        })
        .optional(),
      ram: z.strictObject({ 'downtime-limit-us': uint.optional(), 'max-rounds': uint.optional() }).optional(),
      'switchover-ack': z.boolean().optional(),
      'max-precopy-iterations': uint.optional(),
      'jobs-after': uint.optional(),
      faults: z.array(migrationFault).optional(),
    }),
  },
  tally: { doc: 'the exactly-once tally of the guest’s jobs (and where it runs)', args: guestOnly },
  'write-ram': {
    doc: 'the guest’s applications write pages of their RAM (above their drivers’ memory) with seeded bytes',
    args: z.strictObject({
      guest: localName.optional(),
      pages: uint,
      seed: u32.optional().meta({ description: 'the bytes’ seed (default 1)' }),
    }),
  },
} as const;

/** An action's name. */
export type ActionName = keyof typeof ACTIONS;

/** The action names, in the order above. */
export const ACTION_NAMES = Object.keys(ACTIONS) as readonly ActionName[];

/** The fields every step may carry besides its action. */
export const STEP_COMMON = {
  expect: expectation.optional(),
  label: z.string().optional().meta({ description: 'a short name for reports' }),
};

/** One step schema per action (in {@link ACTION_NAMES} order): `{ <action>: args, expect?, label? }`. */
export const STEP_BRANCHES = ACTION_NAMES.map((name) =>
  z.strictObject({ [name]: ACTIONS[name].args, ...STEP_COMMON }).meta({ description: ACTIONS[name].doc }),
);

/** A step: exactly one action. */
export const step = z.union(STEP_BRANCHES as unknown as [z.ZodObject, ...z.ZodObject[]]);
