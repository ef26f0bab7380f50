import { fc, test } from '@fast-check/vitest';
import { errnoOf, GuestMemory, VirtualClock } from '@vfio-sim/platform';
import { GuestVfDriver, QM_SQE_STATUS_OK, type QmFault } from '@vfio-sim/qm-hw';
import { describe, expect } from 'vitest';
import {
  expectedDeflate,
  type HostOptions,
  makeHost,
  migrateV1,
  Vm,
  v1Client,
  ZIP_DEFLATE,
  zipInputs,
} from '../__fixtures__/testbed.js';
import type { HisiAccVfCoreDevice } from '../core/hisi-acc-vf-core-device.js';

const STOP_FAULTS: readonly QmFault[] = [
  { kind: 'mb-stuck-busy' },
  { kind: 'mb-error' },
  { kind: 'ifc-pending' },
  { kind: 'engine-busy' },
  { kind: 'cache-wb-stuck' },
];
const MISMATCHES: readonly HostOptions[] = [{ kind: 'sec' }, { qpPerVf: 8 }, { queIso: 1 }];

const scenario = fc.record({
  seed: fc.integer({ min: 0, max: 1 << 30 }),
  jobs: fc.integer({ min: 0, max: 10 }),
  jobSize: fc.constantFrom(256, 1024, 4096),
  runBeforeUs: fc.integer({ min: 0, max: 60 }),
  fault: fc.option(fc.constantFrom(...STOP_FAULTS), { nil: undefined }),
  mismatch: fc.option(fc.constantFrom(...MISMATCHES), { nil: undefined }),
  jobsAfter: fc.integer({ min: 0, max: 3 }),
});

describe('randomized v1 migrations (hundreds per run)', () => {
  test.prop([scenario], { numRuns: 250 })(
    'every job completes exactly once with the right output, wherever the migration ends',
    (sc) => {
      const clock = new VirtualClock();
      const src = makeHost(clock, 'src');
      const dst = makeHost(clock, 'dst', sc.mismatch ?? {});
      const vm = new Vm(new GuestMemory(16 << 20), clock);
      vm.attach(src);
      vm.driver = GuestVfDriver.probe(vm.options());
      const inputs = zipInputs(sc.seed, sc.jobs, sc.jobSize);
      const ids = inputs.map((input) => vm.driver!.submit({ opcode: ZIP_DEFLATE, input }));
      clock.runUntil(clock.now() + sc.runBeforeUs);
      if (sc.fault) src.vfHw.faults.inject(sc.fault);

      let guest = vm;
      const errno = errnoOf(() => {
        guest = migrateV1(vm, src, dst).dstVm;
      });
      const srcDev = src.hdev as HisiAccVfCoreDevice;
      if (sc.fault === undefined && sc.mismatch === undefined) {
        expect(errno).toBeUndefined();
      } else {
        // QEMU's failure path: the migration is cancelled and the guest runs on at the source.
        expect(errno).toMatch(sc.fault ? /^E(BUSY|TIMEDOUT|IO)$/ : /^EINVAL$/);
        src.vfHw.faults.clear();
        v1Client(src).cancel();
        vm.start();
        expect(srcDev.paused).toBe(false);
        expect(srcDev.window.isMapped).toBe(false);
      }
      clock.runUntilIdle();
      const after = zipInputs(sc.seed + 1, sc.jobsAfter, 512);
      const afterIds = after.map((input) => guest.driver!.submit({ opcode: ZIP_DEFLATE, input }));
      clock.runUntilIdle();

      const results =
        guest === vm ? vm.driver!.completed : [...vm.driver!.completed, ...guest.driver!.completed];
      const byId = new Map(results.map((r) => [r.jobId, r]));
      expect(results.length).toBe(byId.size); // none repeated
      const want = [
        ...ids.map((id, i) => [id, inputs[i]!] as const),
        ...afterIds.map((id, i) => [id, after[i]!] as const),
      ];
      expect(byId.size).toBe(want.length); // none lost
      for (const [id, input] of want) {
        const r = byId.get(id)!;
        expect(r.status).toBe(QM_SQE_STATUS_OK);
        expect(r.output).toEqual(expectedDeflate(input));
      }
    },
  );
});
