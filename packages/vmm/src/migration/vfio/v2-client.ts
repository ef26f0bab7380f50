import { QemuV2Client } from '@vfio-sim/migration-v2';
import type { KernelError } from '@vfio-sim/platform';
import type { VfioPciDevice } from '../../devices/vfio-pci-device.js';

/** Options of {@link openQemuV2Client}. */
export interface OpenQemuV2ClientOptions {
  /**
   * The `switchover-ack` migration capability (default true): the destination acknowledges the
   * device's initial pre-copy data (for hisi_acc: the match data, checked by the resume write) before
   * the source may stop.
   */
  readonly switchoverAck?: boolean;
  /** Called after QEMU's recovery reset the device (`QemuV2ClientOptions.onReset`). */
  readonly onReset?: (cause: KernelError) => void;
}

/**
 * QEMU's v2 client on a passed-through device (its CONFIG section carries `dev.config`, QEMU's
 * emulated config of the device): realize (VFIO_DEVICE_FEATURE GET MIGRATION — hisi_acc reports
 * STOP_COPY | PRE_COPY), then the save/load handlers over the VMM's device fd and the data fds the
 * device hands out.
 *
 * VMM counterpart: `vfio_migration_realize` in hw/vfio/migration.c (QEMU 8.1+), with
 * `-global migration.switchover-ack=on` by default here.
 * @throws KernelError from GET MIGRATION; EOPNOTSUPP if the device lacks STOP_COPY.
 */
export function openQemuV2Client(dev: VfioPciDevice, options: OpenQemuV2ClientOptions = {}): QemuV2Client {
  return new QemuV2Client(dev.handle, {
    switchoverAck: options.switchoverAck ?? true,
    config: dev.config,
    ...(options.onReset !== undefined ? { onReset: options.onReset } : {}),
  });
}
