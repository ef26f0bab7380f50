import { z } from 'zod';
import { step } from './steps.js';
import { accelKind, iommuFormat, opsStyle, u32, uint } from './values.js';

/** One host of a scenario (vmm's `createHost`): its accelerator, VFs, IOMMU and ops-table style. */
export const hostSchema = z
  .strictObject({
    kind: accelKind.optional().meta({ description: 'the accelerator: zip (default), sec or hpre' }),
    vfs: z
      .int()
      .min(1)
      .max(63)
      .optional()
      .meta({ description: 'VFs enabled, each bound to hisi-acc-vfio-pci (default 2)' }),
    iommu: iommuFormat
      .optional()
      .meta({ description: 'the IOMMU page-table format (default arm-smmuv3-s1)' }),
    'iommu-dirty-tracking': z
      .boolean()
      .optional()
      .meta({ description: 'whether the IOMMU can track dirty pages (default true)' }),
    'ops-style': opsStyle.optional().meta({
      description: "how the variant driver's ops table is completed: explicit (default), fallback or merged",
    }),
    mtty: z
      .strictObject({
        type: z
          .enum(['mtty-1', 'mtty-2'])
          .optional()
          .meta({ description: 'ports per device (default mtty-2)' }),
        count: z.int().min(1).max(8).meta({ description: 'devices created' }),
      })
      .optional()
      .meta({ description: "the kernel's sample mtty devices on the host (modprobe mtty, mdev create)" }),
    ram: uint.optional().meta({
      description: "bytes of RAM the host's scenario VMM process maps for IOMMU_IOAS_MAP (default 1 MiB)",
    }),
  })
  .meta({ id: 'host', description: 'a host prepared for passthrough' });

/** A scenario file. */
export const scenarioSchema = z
  .strictObject({
    $schema: z.string().optional().meta({ description: 'this file’s JSON Schema (for editors)' }),
    name: z.string().min(1).meta({ description: 'what the scenario shows, in one line' }),
    description: z.string().optional(),
    seed: u32.optional().meta({ description: 'seeds every random choice (default 1): same seed, same run' }),
    hosts: z
      .record(
        z.string().regex(/^[A-Za-z_][\w.-]*$/, 'a host name: a letter or _, then letters, digits, _ . -'),
        hostSchema,
      )
      .meta({ description: 'the hosts, by name' }),
    steps: z
      .array(step)
      .min(1)
      .meta({ description: 'the steps, run in order; the first unmet expectation ends the run' }),
  })
  .meta({
    title: 'vfio-sim scenario',
    description: 'uAPI and VM steps against the vfio-sim model, each with what it must do',
  });

/** A scenario as the schema accepts it (kebab-case keys, shorthands not yet resolved). */
export type ScenarioDocument = z.infer<typeof scenarioSchema>;
