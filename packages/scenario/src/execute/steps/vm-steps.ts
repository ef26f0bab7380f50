import type { QmFunction } from '@vfio-sim/qm-hw';
import { type Guest, type Host, migrate } from '@vfio-sim/vmm';
import type { Got, StepRunners } from '../observation.js';

/** The QM function a fault step names on `host`: a VF by index, or the PF. */
function qmFunction(host: Host, target: number | 'pf'): QmFunction {
  return target === 'pf' ? host.device.pf : host.qmFunction(target);
}

/** The guest's exactly-once tally, with the jobs still outstanding, and where it runs. */
function recordJobs(guest: Guest, got: Got): void {
  got.jobs = { ...guest.tally(), outstanding: guest.outstanding };
  got.guestOn = guest.host.name;
}

/**
 * The VM level, as libvirt and QEMU act: boot a guest with its devices, start its workload and submit
 * jobs, let virtual time pass, stop/start its vCPUs, live-migrate it (protocol, pre-copy, link, faults at
 * a phase or a time) and read the proof; and hardware faults injected into a VF or the PF directly.
 */
export const VM_STEPS: StepRunners<
  | 'boot'
  | 'workload'
  | 'submit'
  | 'run'
  | 'stop-vcpus'
  | 'start-vcpus'
  | 'migrate'
  | 'tally'
  | 'inject-fault'
  | 'clear-fault'
  | 'write-ram'
> = {
  boot(world, args, got) {
    const guest = world.sim.createGuest({
      name: args.guest,
      host: world.host(args.host),
      devices: args.devices,
      ...(args.memory !== undefined ? { memory: args.memory } : {}),
    });
    world.guests.set(args.guest, guest);
    recordJobs(guest, got);
  },
  workload(world, args, got) {
    const guest = world.guest(args.guest);
    guest.startWorkload({
      ...(args.jobs !== undefined ? { jobs: args.jobs } : {}),
      ...(args.periodUs !== undefined ? { periodUs: args.periodUs } : {}),
      ...(args.limit !== undefined ? { limit: args.limit } : {}),
      ...(args.seed !== undefined ? { seed: args.seed } : {}),
    });
    recordJobs(guest, got);
  },
  submit(world, args, got) {
    const guest = world.guest(args.guest);
    try {
      guest.submit(args.jobs);
    } finally {
      recordJobs(guest, got);
    }
  },
  run(world, args) {
    if (args.us === 'idle') world.sim.runUntilIdle();
    else world.sim.run(args.us);
  },
  'stop-vcpus'(world, args) {
    world.guest(args.guest).vm.stop();
  },
  'start-vcpus'(world, args) {
    world.guest(args.guest).vm.start();
  },
  migrate(world, args, got) {
    const guest = world.guest(args.guest);
    const report = migrate(guest, {
      to: world.host(args.to),
      protocol: args.protocol,
      faults: args.faults,
      ...(args.precopy !== undefined ? { precopy: args.precopy } : {}),
      link: {
        ...(args.bytesPerUs !== undefined ? { bytesPerUs: args.bytesPerUs } : {}),
        ...(args.sectionCrc !== undefined ? { sectionCrc: args.sectionCrc } : {}),
        faults: args.linkFaults,
      },
      ...(args.ram !== undefined ? { ram: args.ram } : {}),
      ...(args.switchoverAck !== undefined ? { switchoverAck: args.switchoverAck } : {}),
      ...(args.maxPrecopyIterations !== undefined ? { maxPrecopyIterations: args.maxPrecopyIterations } : {}),
      ...(args.jobsAfter !== undefined ? { jobsAfter: args.jobsAfter } : {}),
    });
    world.migrations.push({ guest: args.guest, report });
    world.migrationObserver?.({
      report,
      guest,
      source: world.host(report.from),
      destination: world.host(report.to),
    });
    got.result = report.result;
    got.outcome = report.outcome;
    got.verdict = report.verdict;
    got.error = report.error ?? 'none';
    got.jobs = { ...report.proof.jobs, outstanding: guest.outstanding };
    got.guestOn = guest.host.name;
    got.ramIdentical = report.proof.ram?.identical ?? null;
    got.sourceStates = report.migration?.devices[0]?.sourceStates.map((s) => s.name) ?? null;
    got.destinationStates = report.migration?.devices[0]?.destinationStates.map((s) => s.name) ?? null;
    got.faultsInjected = report.faults.length;
    got.bytes = report.migration?.deviceBytesSaved ?? 0;
  },
  tally(world, args, got) {
    recordJobs(world.guest(args.guest), got);
  },
  'write-ram'(world, args) {
    world.guest(args.guest).writeRam(args.pages, args.seed);
  },
  'inject-fault'(world, args) {
    qmFunction(world.host(args.host), args.target).faults.inject(args.fault);
  },
  'clear-fault'(world, args) {
    qmFunction(world.host(args.host), args.target).faults.clear(args.kind);
  },
};
