import { deviceStateName, vfio_device_migration_info } from '@vfio-sim/migration-v1';
import { migStateName, VFIO_DEVICE_NUM_STATES } from '@vfio-sim/migration-v2';
import { ERRNO } from '@vfio-sim/platform';
import {
  VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT,
  VFIO_DEVICE_FEATURE_DMA_LOGGING_START,
  VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP,
  VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY,
  VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP,
  VFIO_DEVICE_FEATURE_LOW_POWER_EXIT,
  VFIO_DEVICE_FEATURE_MIG_DATA_SIZE,
  VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
  VFIO_DEVICE_FEATURE_MIGRATION,
  VFIO_DEVICE_FEATURE_PCI_VF_TOKEN,
  VFIO_MIGRATION_P2P,
  VFIO_MIGRATION_PRE_COPY,
  VFIO_MIGRATION_STOP_COPY,
  VFIO_PCI_BAR0_REGION_INDEX,
  VFIO_PCI_BAR1_REGION_INDEX,
  VFIO_PCI_BAR2_REGION_INDEX,
  VFIO_PCI_BAR3_REGION_INDEX,
  VFIO_PCI_BAR4_REGION_INDEX,
  VFIO_PCI_BAR5_REGION_INDEX,
  VFIO_PCI_CONFIG_REGION_INDEX,
  VFIO_PCI_ROM_REGION_INDEX,
  VFIO_PCI_VGA_REGION_INDEX,
  VFIO_REGION_INFO_FLAG_CAPS,
  VFIO_REGION_INFO_FLAG_MMAP,
  VFIO_REGION_INFO_FLAG_READ,
  VFIO_REGION_INFO_FLAG_WRITE,
} from '@vfio-sim/vfio-core';
import { ACCEL_KINDS, IOMMU_FORMATS, MIGRATION_PHASES } from '@vfio-sim/vmm';
import { z } from 'zod';

/** A list of names as the non-empty tuple `z.enum` takes. */
function names(list: readonly string[]): [string, ...string[]] {
  return list as [string, ...string[]];
}

/*
 * The value types a scenario spells: names from the kernel's vocabulary (errno names, migration states,
 * feature indexes, region names, v1 register names), numbers (decimal or 0x hex), byte strings in hex,
 * dirty bitmaps as runs of set bits. Each carries a description an editor shows next to the field.
 */

/** A non-negative integer that fits a JavaScript number exactly (decimal or `0x…` in YAML). */
export const uint = z.int().min(0).meta({ id: 'uint' });

/** An integer in [0, 2^32): a raw u32 field (flags, argsz, a state number). */
export const u32 = z.int().min(0).max(0xffff_ffff).meta({ id: 'u32' });

/** The errno names the model knows (platform's `ERRNO`), e.g. `EINVAL`. */
export const ERRNO_NAMES = Object.keys(ERRNO) as readonly (keyof typeof ERRNO)[];

/** `ok` or an errno name: how a step ends. */
export const errnoOrOk = z.enum(names(['ok', ...ERRNO_NAMES])).meta({
  id: 'errno',
  description: '`ok` (the call succeeded) or the errno name it fails with, e.g. EINVAL',
});

/** `enum vfio_device_mig_state` names (without the VFIO_DEVICE_STATE_ prefix). */
export const V2_STATE_NAMES: readonly string[] = Array.from({ length: VFIO_DEVICE_NUM_STATES }, (_, i) =>
  migStateName(i),
);

/** A v2 migration state: its name, or a raw number (misuse is allowed: the kernel checks it). */
export const v2State = z.union([z.enum(names(V2_STATE_NAMES)), u32]).meta({
  id: 'v2-state',
  description: 'a v2 device_state: RUNNING, STOP, STOP_COPY, RESUMING, PRE_COPY, … or a raw number',
});

/** The v1 `device_state` names (the uAPI text's), by masked value. */
export const V1_STATE_NAMES: readonly string[] = [0, 1, 2, 3, 4, 6].map(deviceStateName);

/** A v1 device_state: its name, or a raw 32-bit value (reserved bits and invalid combinations allowed). */
export const v1State = z.union([z.enum(names(V1_STATE_NAMES)), u32]).meta({
  id: 'v1-state',
  description:
    'a v1 device_state: running (001), pre-copy (011), stop-and-copy (010), stop (000), resuming (100), error (110), or a raw 32-bit value',
});

/** VFIO_DEVICE_FEATURE indexes by name (without the VFIO_DEVICE_FEATURE_ prefix). */
export const FEATURES: Readonly<Record<string, number>> = {
  PCI_VF_TOKEN: VFIO_DEVICE_FEATURE_PCI_VF_TOKEN,
  MIGRATION: VFIO_DEVICE_FEATURE_MIGRATION,
  MIG_DEVICE_STATE: VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
  LOW_POWER_ENTRY: VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY,
  LOW_POWER_ENTRY_WITH_WAKEUP: VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP,
  LOW_POWER_EXIT: VFIO_DEVICE_FEATURE_LOW_POWER_EXIT,
  DMA_LOGGING_START: VFIO_DEVICE_FEATURE_DMA_LOGGING_START,
  DMA_LOGGING_STOP: VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP,
  DMA_LOGGING_REPORT: VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT,
  MIG_DATA_SIZE: VFIO_DEVICE_FEATURE_MIG_DATA_SIZE,
};

/** A device feature: its name or its index (0..0xffff). */
export const featureName = z.union([z.enum(names(Object.keys(FEATURES))), z.int().min(0).max(0xffff)]).meta({
  id: 'feature',
  description: 'a VFIO_DEVICE_FEATURE index: MIGRATION, MIG_DEVICE_STATE, MIG_DATA_SIZE, … or a number',
});

/** `VFIO_MIGRATION_*` flags by name. */
export const MIGRATION_FLAGS: Readonly<Record<string, number>> = {
  STOP_COPY: VFIO_MIGRATION_STOP_COPY,
  P2P: VFIO_MIGRATION_P2P,
  PRE_COPY: VFIO_MIGRATION_PRE_COPY,
};

/** Regions by name: the fixed vfio-pci indexes; `migration` (the v1 region) is found by its TYPE cap. */
export const REGIONS: Readonly<Record<string, number>> = {
  bar0: VFIO_PCI_BAR0_REGION_INDEX,
  bar1: VFIO_PCI_BAR1_REGION_INDEX,
  bar2: VFIO_PCI_BAR2_REGION_INDEX,
  bar3: VFIO_PCI_BAR3_REGION_INDEX,
  bar4: VFIO_PCI_BAR4_REGION_INDEX,
  bar5: VFIO_PCI_BAR5_REGION_INDEX,
  rom: VFIO_PCI_ROM_REGION_INDEX,
  config: VFIO_PCI_CONFIG_REGION_INDEX,
  vga: VFIO_PCI_VGA_REGION_INDEX,
};

/** A region of the device fd: a name or an index (offset = index << 40). */
export const regionRef = z
  .union([z.enum(names([...Object.keys(REGIONS), 'migration'])), z.int().min(0).max(0x1fff)])
  .meta({
    id: 'region',
    description: 'a region: bar0..bar5, rom, config, vga, migration (the v1 region) or an index',
  });

/** `VFIO_REGION_INFO_FLAG_*` by name. */
export const REGION_FLAGS: Readonly<Record<string, number>> = {
  READ: VFIO_REGION_INFO_FLAG_READ,
  WRITE: VFIO_REGION_INFO_FLAG_WRITE,
  MMAP: VFIO_REGION_INFO_FLAG_MMAP,
  CAPS: VFIO_REGION_INFO_FLAG_CAPS,
};

/** `struct vfio_device_migration_info` fields (the v1 region's registers). */
export const V1_FIELD_NAMES: readonly string[] = vfio_device_migration_info.fields.map((f) => f.name);

/** Bytes written as hex: `"0a0b0c"`, `"0x0a0b0c"` or `"0a 0b 0c"`. */
export const hexBytes = z
  .string()
  .regex(
    /^(0x)?(\s*[0-9a-fA-F]{2})*\s*$/,
    'bytes in hex, two digits each: "0a0b0c", "0x0a0b0c" or "0a 0b 0c"',
  )
  .meta({ id: 'hex-bytes', description: 'bytes in hex, two digits per byte (spaces allowed)' });

/** One run of set bits: a bit index, or `"first-last"` (inclusive). */
export const bitRun = z
  .union([uint, z.string().regex(/^\d+-\d+$/, 'a run of set bits: "first-last", e.g. "0-3"')])
  .meta({ id: 'bit-run', description: 'a set bit (its index) or a run "first-last", inclusive' });

/** A dirty bitmap as its runs of set bits, ascending (`[]`: nothing set). */
export const bitmapRuns = z.array(bitRun).meta({
  id: 'bitmap-runs',
  description: 'the set bits as runs, ascending: e.g. [0-3, 7, 9-10]; [] for none',
});

/** A name a step gives a thing (a device, an IOAS, a buffer) for later steps. */
export const localName = z
  .string()
  .regex(/^[A-Za-z_][\w.-]*$/, 'a name: a letter or _, then letters, digits, _ . -')
  .meta({ id: 'name', description: 'a name for later steps' });

/**
 * A device a uAPI step acts on: a name given by `open` (`as:`), or `<guest>/<n>` — the n-th device of a
 * guest as its VMM (QEMU) holds it.
 */
export const deviceRef = z
  .string()
  .regex(/^[A-Za-z_][\w.-]*(\/\d+)?$/, 'a device: a name from open (as:) or <guest>/<n>')
  .meta({
    id: 'device',
    description: 'a device opened with open (its as: name), or <guest>/<n> for a guest device',
  });

/** Accelerator kinds (vmm's `ACCEL_KINDS`). */
export const accelKind = z.enum(names(ACCEL_KINDS));
/** IOMMU page-table formats (vmm's `IOMMU_FORMATS`). */
export const iommuFormat = z.enum(names(IOMMU_FORMATS));
/** vfio-pci-core ops-table styles (vfio-core's `VfioOpsStyle`). */
export const opsStyle = z.enum(['explicit', 'fallback', 'merged']);
/** Phases of a migration (vmm's `MIGRATION_PHASES`). */
export const migrationPhase = z.enum(names(MIGRATION_PHASES));
/** A migration's verdict (vmm's `MigrateVerdictKind`). */
export const MIGRATE_VERDICTS = ['pass', 'aborted', 'attributed-loss', 'silent'] as const;
/** The causes of a lost job (vmm's `JobLossKind`). */
export const JOB_LOSS_KINDS = [
  'hardware-error',
  'device-reset-by-vmm',
  'device-reset-by-host',
  'loaded-not-started',
] as const;
