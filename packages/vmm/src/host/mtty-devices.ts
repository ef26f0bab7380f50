import { MTTY_PCI_ID, mttyDevInit } from '@vfio-sim/mtty';
import { KernelError } from '@vfio-sim/platform';
import { mdevDeviceCreate, Vfio } from '@vfio-sim/vfio-core';
import type { AssignableDevice } from '../devices/assignable-device.js';
import { mttyModel } from '../devices/mtty.js';
import type { DeviceProvider } from './host.js';

/** Options of {@link mttyDevices}. */
export interface MttyDevicesOptions {
  /** The mdev type: `mtty-1` (one port) or `mtty-2` (two ports, default). */
  readonly type?: 'mtty-1' | 'mtty-2';
  /** How many devices to create (default 1). */
  readonly count?: number;
}

/** The UUID of the host's mtty device `n` (deterministic, so runs repeat). */
export function mttyUuid(n: number): string {
  return `83b8f4f2-509f-382f-3c1e-${n.toString(16).padStart(12, '0')}`;
}

/**
 * A {@link DeviceProvider} for the kernel's sample mtty: loads the sample on the host (the `mtty` mdev
 * parent) and creates `count` devices of `type` (`echo $UUID > …/mdev_supported_types/mtty-2/create`),
 * each an {@link AssignableDevice} of the mtty model, opened through the group path, without DMA.
 *
 * Kernel counterpart: `modprobe mtty` and mdev creation in sysfs.
 * @throws KernelError EINVAL for a count that is not a positive integer; ENOSPC when the host's port
 *   pool runs out (the sample's limit).
 */
export function mttyDevices(options: MttyDevicesOptions = {}): DeviceProvider {
  const type = options.type ?? 'mtty-2';
  const count = options.count ?? 1;
  if (!Number.isInteger(count) || count < 1) throw new KernelError('EINVAL', `mtty count ${count}`);
  return (platform) => {
    const parent = mttyDevInit(platform.pci);
    const vfio = Vfio.of(platform.pci);
    return Array.from({ length: count }, (_, n): AssignableDevice => {
      const uuid = mttyUuid(n + 1);
      mdevDeviceCreate(parent, type, uuid);
      return {
        hostName: platform.name,
        name: uuid,
        model: mttyModel,
        deviceId: MTTY_PCI_ID >>> 16, // the sample's vendor:device dword, device in the high half
        open: (process) => vfio.openDevice(process, uuid),
        dma: undefined,
        setInterruptHandler: () => {
          // polled: the sample's interrupts are not routed (SET_IRQS is not modelled)
        },
        owner: undefined,
      };
    });
  };
}
