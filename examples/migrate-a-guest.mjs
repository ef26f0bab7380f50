// Live-migrate a guest that keeps a HiSilicon ZIP VF busy, with the VMM of @vfio-sim/vmm: two hosts
// prepared for passthrough, a guest running compression jobs, a v2 migration with RAM pre-copy under
// IOMMU + CPU dirty tracking, and the proof — every job verified exactly once, guest RAM identical page by
// page at the switch-over. Then back, over v1, with a mailbox error armed as the source stops: the
// migration aborts cleanly and the guest runs on where it was.
//
// @ts-check
// Uses: @vfio-sim/vmm.
import assert from 'node:assert/strict';
import { migrate, Simulation } from '@vfio-sim/vmm';

const sim = new Simulation({ seed: 42 });
const a = sim.createHost({ name: 'a', kind: 'zip', iommu: 'arm-smmuv3-s1', numVfs: 2 });
const b = sim.createHost({ name: 'b', kind: 'zip', iommu: 'arm-smmuv3-s1', numVfs: 2 });
const guest = sim.createGuest({ name: 'vm1', host: a, memory: 64 << 20, devices: ['hisi-acc-vf'] });
guest.startWorkload({ jobs: 16, periodUs: 20, limit: 64 }); // 16 jobs now, then one every 20 µs
sim.run(300); // 300 µs of virtual time: some jobs done, some in flight

// a → b over v2 (VFIO_DEVICE_FEATURE state machine, data fds, PRE_COPY with switchover-ack)
const there = migrate(guest, { to: b, protocol: 'v2', precopy: true, jobsAfter: 4 });
const m = there.migration;
assert.equal(there.result, 'PASS', there.failures.join('; '));
assert.ok(m !== null);
console.log(
  `a → b (${m.protocol}): ${m.ram.rounds.length} RAM rounds, ${m.ram.precopyBytes} B while running, ` +
    `${m.ram.stoppedBytes} B while stopped; downtime ${m.downtimeUs} µs of ${m.totalUs} µs`,
);
const states = (m.devices[0]?.sourceStates ?? []).map((s) => s.name);
console.log(`  device states on a: ${states.filter((s, i) => s !== states[i - 1]).join(' → ')}`);
const jobs = there.proof.jobs;
console.log(
  `  jobs: ${jobs.verified} / ${jobs.submitted} verified exactly once, ${jobs.completedOnDestination} of them on b`,
);
assert.equal(jobs.verified, jobs.submitted);
assert.equal(there.proof.ram?.identical, true);
assert.equal(guest.host.name, 'b');

// b → a over v1, with the source VF's mailbox failing as the VM stops: QEMU's client gets EIO
const back = migrate(guest, {
  to: a,
  protocol: 'v1',
  jobsAfter: 2,
  faults: [{ fault: { kind: 'mb-error' }, side: 'source', target: 'vf', at: 'stop' }],
});
console.log(`b → a (v1, mb-error at stop): ${back.outcome}, ${back.error?.errno} in ${back.error?.phase}`);
assert.equal(back.outcome, 'aborted');
assert.equal(back.error?.phase, 'stop');
assert.equal(guest.host.name, 'b'); // the guest runs on where it was
console.log(
  `  verdict ${back.verdict}: ${back.proof.jobs.verified} / ${back.proof.jobs.submitted} jobs verified, none lost silently`,
);
assert.equal(back.verdict, 'aborted');
assert.deepEqual(back.silent, []);
