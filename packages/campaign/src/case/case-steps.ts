import type { ScenarioDocument } from '@vfio-sim/scenario';
import { type CampaignCase, caseDevices, type HostileStep, type MigrationCase } from './campaign-case.js';

/** A scenario step, as the document holds it. */
export type ScenarioStep = ScenarioDocument['steps'][number];

/**
 * What a step is for, which decides how it is judged: `setup` must succeed (boot, workload, time,
 * opening a device); `hostile` may fail, but only with an errno and leaving things as they were (or in
 * the documented ERROR state); `migrate` is judged by the invariants of a migration.
 */
export type StepRole = 'setup' | 'hostile' | 'migrate';

/** One step of a case with its role. */
export interface CaseStep {
  readonly step: ScenarioStep;
  readonly role: StepRole;
}

/** A case as the hosts it needs and the steps it takes, in the scenario language. */
export interface CaseSteps {
  readonly hosts: ScenarioDocument['hosts'];
  readonly steps: readonly CaseStep[];
}

/**
 * VFs each host enables: enough for any guest of a case, and they split the accelerator's queues four
 * ways, which keeps the hardware snapshot a hostile step is judged by small (one VF would own them all).
 */
export const HOST_VFS = 4;

/** Guest RAM the guest kernel gives its drivers: 1 MiB, then 8 MiB per device (vmm's `appRamBase`). */
const MIB = 1 << 20;
const DRIVER_RAM = 8 * MIB;

/** Guest RAM of a migration case: the drivers' part, then `extraMiB`. */
export function guestMemory(c: MigrationCase): number {
  return MIB + (c.hisiVfs + c.mttys) * DRIVER_RAM + c.extraMiB * MIB;
}

/**
 * The steps of a case, in the scenario language (vmm and the uAPI through `@vfio-sim/scenario`'s
 * executor): a migration case boots its guest on `source` (accelerator VFs, then mttys), starts the
 * workload, writes RAM, lets time pass, makes its hostile requests (on the guest's device 0; a stream
 * case on `destination`'s VF 0, which is free again afterwards) and migrates to `destination`; a uAPI
 * case opens VF 0 of `host` and makes its requests there.
 */
export function caseSteps(c: CampaignCase): CaseSteps {
  const host = {
    kind: c.accel,
    iommu: c.iommu,
    vfs: HOST_VFS,
    ...(c.kind === 'migration' && c.mttys > 0 ? { mtty: { count: c.mttys } } : {}),
  };
  if (c.kind === 'uapi') {
    const steps: CaseStep[] = [{ role: 'setup', step: { open: { host: 'host', vf: 0, as: 'h' } } }];
    c.steps.forEach((s, i) => {
      steps.push(...hostileSteps(s, i, 'h', c.protocol, undefined));
    });
    return { hosts: { host }, steps };
  }
  const steps: CaseStep[] = [
    {
      role: 'setup',
      step: { boot: { guest: 'g', host: 'source', memory: guestMemory(c), devices: caseDevices(c) } },
    },
    {
      role: 'setup',
      step: {
        workload: { guest: 'g', jobs: c.jobs, 'period-us': c.periodUs, limit: c.limit, seed: c.workloadSeed },
      },
    },
  ];
  if (c.touchedPages > 0)
    steps.push({
      role: 'setup',
      step: { 'write-ram': { guest: 'g', pages: c.touchedPages, seed: c.workloadSeed } },
    });
  if (c.runUs > 0) steps.push({ role: 'setup', step: { run: c.runUs } });
  c.hostile.forEach((s, i) => {
    steps.push(...hostileSteps(s, i, 'g/0', c.protocol, 'destination'));
  });
  steps.push({ role: 'migrate', step: { migrate: migrateArgs(c) } });
  return { hosts: { source: host, destination: host }, steps };
}

/** The `migrate` step's arguments: protocol, RAM pre-copy, the link and its fault, the qm fault. */
function migrateArgs(c: MigrationCase) {
  const f = c.fault;
  const linkFaults =
    f?.on === 'link'
      ? [
          f.kind === 'flip'
            ? {
                kind: 'flip' as const,
                section: f.section,
                byte: f.byte,
                mask: f.mask,
                ...(f.phase ? { phase: f.phase } : {}),
              }
            : {
                kind: 'cut' as const,
                section: f.section,
                keep: f.byte,
                ...(f.phase ? { phase: f.phase } : {}),
              },
        ]
      : [];
  const qmFaults =
    f?.on === 'qm'
      ? [
          {
            ...(f.kind === 'dma-fault'
              ? { kind: 'dma-fault' as const, iova: MIB + f.device * DRIVER_RAM, length: 4 * MIB }
              : { kind: f.kind }),
            side: f.side,
            target: f.target,
            device: f.device,
            at: f.at,
          },
        ]
      : [];
  return {
    guest: 'g',
    to: 'destination',
    protocol: c.protocol,
    precopy: c.precopy,
    link: { 'bytes-per-us': c.bytesPerUs, ...(linkFaults.length > 0 ? { faults: linkFaults } : {}) },
    'jobs-after': c.jobsAfter,
    ...(qmFaults.length > 0 ? { faults: qmFaults } : {}),
  } as Extract<ScenarioStep, { migrate: unknown }>['migrate'];
}

/**
 * One hostile request as scenario steps on `device` (the i-th of its case: names it makes are
 * suffixed with i). A `stream` request works on a VF no guest uses: `device` itself in a uAPI case, or
 * VF 0 of `freeHost`, opened for it and closed afterwards.
 */
function hostileSteps(
  s: HostileStep,
  i: number,
  device: string,
  protocol: 'v1' | 'v2',
  freeHost: string | undefined,
): CaseStep[] {
  const hostile = (step: ScenarioStep): CaseStep => ({ role: 'hostile', step });
  switch (s.op) {
    case 'v2-arc':
      return [hostile({ 'set-state': { device, state: s.state } })];
    case 'v1-arc':
      return [
        hostile({
          'v1-set-state': s.raw ? { device, state: s.state, raw: true } : { device, state: s.state },
        }),
      ];
    case 'feature':
      return [hostile({ feature: { device, feature: s.feature, op: s.access, argsz: s.argsz } })];
    case 'region':
      if (s.access === 'info') return [hostile({ 'region-info': { device, region: s.region } })];
      if (s.access === 'read')
        return [hostile({ pread: { device, region: s.region, offset: s.offset, width: 4 } })];
      return [hostile({ mmap: { device, region: s.region, offset: s.offset, length: 4096, as: `m${i}` } })];
    case 'data-fd': {
      const fd = `f${i}`;
      return [
        hostile({ 'set-state': { device, state: 'PRE_COPY', 'fd-as': fd } }),
        ...s.misuse.map((m) =>
          hostile(
            m === 'write'
              ? { 'write-data': { device, fd, data: '00ff' } }
              : m === 'precopy-info'
                ? { 'precopy-info': { device, fd, argsz: 8 } }
                : { 'read-data': { device, fd, count: 16, into: `r${i}` } },
          ),
        ),
        hostile({ 'set-state': { device, state: 'RUNNING' } }),
        hostile({ 'close-data': { device, fd } }),
      ];
    }
    case 'stream': {
      const dev = freeHost === undefined ? device : `d${i}`;
      const buf = `s${i}`;
      const corrupt = s.flips.map((f) => ({ at: f.at, xor: f.xor }));
      const keep = s.keep === null ? {} : { count: s.keep };
      const steps =
        protocol === 'v2'
          ? [
              hostile({ 'set-state': { device: dev, state: 'STOP_COPY' } }),
              hostile({ 'read-data': { device: dev, count: 'eof', into: buf } }),
              hostile({ 'set-state': { device: dev, state: 'STOP' } }),
              hostile({ 'set-state': { device: dev, state: 'RESUMING' } }),
              hostile({ 'write-data': { device: dev, from: buf, ...keep, corrupt } }),
              hostile({ 'set-state': { device: dev, state: 'STOP' } }),
            ]
          : [
              hostile({ 'v1-set-state': { device: dev, state: 'stop-and-copy' } }),
              hostile({ 'v1-save': { device: dev, into: buf } }),
              hostile({ 'v1-set-state': { device: dev, state: 'stop' } }),
              hostile({ 'v1-set-state': { device: dev, state: 'resuming' } }),
              hostile({ 'v1-load': { device: dev, from: buf, ...keep, corrupt } }),
              hostile({ 'v1-set-state': { device: dev, state: 'running' } }),
            ];
      steps.push(hostile({ reset: dev }));
      if (freeHost === undefined) return steps;
      return [
        { role: 'setup', step: { open: { host: freeHost, vf: 0, as: dev } } },
        ...steps,
        { role: 'setup', step: { close: dev } },
      ];
    }
  }
}
