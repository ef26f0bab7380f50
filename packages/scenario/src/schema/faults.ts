import { z } from 'zod';
import { migrationPhase, uint } from './values.js';

/**
 * qm-hw's faults (`QmFault`), one object per kind, flattened with where and when they strike: the kind's
 * own fields (`status`, `bits`, `iova`, `length`) next to the placement fields of the step that arms it.
 */
const FAULT_KINDS = {
  'mb-stuck-busy': { description: 'a mailbox command never completes (busy bit stays set)', fields: {} },
  'mb-error': {
    description: 'mailbox commands complete with a non-zero status',
    fields: { status: z.int().min(1).max(15).optional() },
  },
  'cache-wb-stuck': { description: 'QM_CACHE_WB_DONE never becomes 1', fields: {} },
  'ras-pending': {
    description: 'QM_ABNORMAL_INT_STATUS reads these bits (a PF register: target pf)',
    fields: { bits: z.int().min(1).max(0xffff_ffff).optional() },
  },
  'ifc-pending': { description: 'the function’s IFC interrupt status reads 1', fields: {} },
  'engine-busy': { description: 'the queues fetch nothing; the engine INT_STATUS reads 1', fields: {} },
  'vf-not-ready': { description: 'QM_VF_STATE reads QM_NOT_READY whatever was written', fields: {} },
  'dma-fault': {
    description: 'every device DMA touching [iova, iova + length) fails',
    fields: { iova: uint, length: uint.optional() },
  },
} as const;

/** The fault kinds, in qm-hw's order. */
export const FAULT_KIND_NAMES = Object.keys(FAULT_KINDS) as readonly (keyof typeof FAULT_KINDS)[];

/** A fault of every kind, each with the placement fields `placement` added. */
function faultUnion<P extends z.core.$ZodLooseShape>(placement: P) {
  const variants = FAULT_KIND_NAMES.map((kind) =>
    z
      .strictObject({ kind: z.literal(kind), ...FAULT_KINDS[kind].fields, ...placement })
      .meta({ description: `${kind}: ${FAULT_KINDS[kind].description}` }),
  );
  return z.discriminatedUnion('kind', variants as unknown as [(typeof variants)[number]]);
}

/** Which QM function of a host: a VF by index, or the PF. */
export const faultTarget = z
  .union([z.literal('pf'), uint])
  .meta({ id: 'fault-target', description: 'the QM function: a VF index (0 = the first VF) or pf' });

/** `inject-fault`: a fault injected now into one QM function of a host. */
export const injectedFault = faultUnion({
  host: z.string().optional().meta({ description: 'the host (default: the only one)' }),
  target: faultTarget.optional(),
});

/** One fault of a `migrate` step: vmm's `FaultSpec`, armed at a phase or a virtual time. */
export const migrationFault = faultUnion({
  side: z.enum(['source', 'destination']).optional(),
  target: z.enum(['vf', 'pf']).optional().meta({ description: "the guest's VF there (default), or its PF" }),
  device: uint.optional().meta({ description: "which of the guest's devices (default 0)" }),
  at: z
    .union([migrationPhase, z.strictObject({ us: uint })])
    .meta({ description: 'as a phase begins, or { us } of virtual time after the migration started' }),
  'clear-at': migrationPhase
    .optional()
    .meta({ description: 'cleared as this phase begins (default: at the end)' }),
});

/** A link fault of a `migrate` step (vmm's `LinkFault`): a byte of a vfio section flipped, or the section cut. */
export const linkFault = z
  .discriminatedUnion('kind', [
    z
      .strictObject({
        kind: z.literal('flip'),
        section: uint.meta({ description: 'the n-th vfio section (from 0), of the phase if given' }),
        phase: migrationPhase.optional(),
        byte: uint.meta({ description: "the byte of the section's QEMU bytes" }),
        mask: z.int().min(1).max(0xff).optional().meta({ description: 'XOR-ed into it (default 0xff)' }),
      })
      .meta({ description: 'flip: one byte of a section XOR-ed on the way' }),
    z
      .strictObject({
        kind: z.literal('cut'),
        section: uint,
        phase: migrationPhase.optional(),
        keep: uint.meta({ description: 'bytes that arrive; the rest is lost' }),
      })
      .meta({ description: 'cut: only the first keep bytes of the section arrive' }),
  ])
  .meta({ id: 'link-fault', description: 'corruption of the migration stream in flight' });
