import { bench, describe } from 'vitest';
import { migrateV1, migrationPair, ZIP_DEFLATE, zipInputs } from '../__fixtures__/testbed.js';

// What one randomized-migration test case costs: two hosts (QM device, PF driver, VF bound to
// hisi-acc-vfio-pci, VMM device fd), a guest driver running four 1 KiB ZIP jobs, with and without a v1
// live migration (pre-copy, stop-and-copy, guest RAM copy, resume, jobs finishing on the destination).
const inputs = zipInputs(1, 4, 1024);

function run(migrate: boolean): void {
  const { clock, src, dst, vm } = migrationPair();
  for (const input of inputs) vm.driver!.submit({ opcode: ZIP_DEFLATE, input });
  clock.runUntil(clock.now() + 10);
  if (migrate) migrateV1(vm, src, dst);
  clock.runUntilIdle();
}

describe('one v1 live migration test case', () => {
  bench('baseline: hosts + guest + jobs, no migration', () => run(false));
  bench('hosts + guest + jobs + v1 live migration', () => run(true));
});
