/**
 * Test scaffolding (not part of the package API): a VM on `host` with the host's accelerator VF 0
 * passed through and the guest's VF driver probed on it.
 */
import type { GuestVfDriver } from '@vfio-sim/qm-hw';
import { hisiAccVfModel } from '../devices/hisi-acc-vf.js';
import { realizeVfioPci, type VfioPciDevice } from '../devices/vfio-pci-device.js';
import type { Host } from '../host/host.js';
import { Vm, type VmOptions } from '../vm/vm.js';

export interface VfGuest {
  readonly vm: Vm;
  /** The passed-through VF. */
  readonly vf: VfioPciDevice;
  /** The guest's VF driver, probed (it needs ≥ 8 MiB of guest RAM). */
  readonly driver: GuestVfDriver;
}

/** More of the VM's options (default: the VM's defaults, huge IOMMU leaves). */
export type VfVmOptions = Pick<VmOptions, 'iommuHugePages'>;

/** A VM named `name` with `memorySize` bytes of RAM on `host`, VF 0 passed through, its driver probed. */
export function vfGuest(host: Host, memorySize: number, name = 'g', options: VfVmOptions = {}): VfGuest {
  const { vm, vf } = vfVm(host, memorySize, name, options);
  return { vm, vf, driver: hisiAccVfModel.probeGuest(vf) };
}

/** The same without a guest driver: the VF passed through, nothing running in the guest. */
export function vfVm(
  host: Host,
  memorySize: number,
  name = 'g',
  options: VfVmOptions = {},
): Omit<VfGuest, 'driver'> {
  const vm = Vm.create({ name, host, memorySize, ...options });
  return { vm, vf: realizeVfioPci(vm, host.assignable[0]!) };
}
