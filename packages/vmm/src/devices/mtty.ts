import { GuestUart, VfioRegionUartIo } from '@vfio-sim/mtty';
import type { DeviceModel } from './device-model.js';
import type { VfioPciDevice } from './vfio-pci-device.js';

/** The name of the {@link mttyModel}. */
export const MTTY_MODEL = 'mtty';

/** The BARs of the device that are ports (an `mtty-1` has BAR 0, an `mtty-2` BARs 0 and 1). */
function portBars(dev: VfioPciDevice): number[] {
  return [0, 1].filter((bar) => dev.handle.getRegionInfo(bar).size > 0);
}

/**
 * The kernel's sample mdev `mtty` passed through (QEMU `-device vfio-pci,sysfsdev=…`): its ports are
 * I/O BARs, which QEMU forwards to the device fd (nothing to mmap); the guest polls each port with a
 * 16550 driver ({@link GuestUart}). The UART driver's state is guest state the model keeps outside
 * guest RAM, so on a destination the same drivers are re-pointed at the new device's ports.
 *
 * VMM counterpart: QEMU's vfio-pci on an mdev; guest counterpart: drivers/tty/serial/8250, polled.
 */
export const mttyModel: DeviceModel<GuestUart[]> = {
  name: MTTY_MODEL,
  interrupts: { type: 'intx', vectors: 0 },
  realize() {
    // I/O BARs: every access goes through the device fd (VfioRegionUartIo).
  },
  probeGuest(dev) {
    const uarts = portBars(dev).map((bar) => new GuestUart(VfioRegionUartIo.of(dev.handle, bar)));
    for (const uart of uarts) uart.probe();
    dev.guest = uarts;
    return uarts;
  },
  resumeGuest(dev, source) {
    const uarts = source.guest as GuestUart[];
    portBars(dev).forEach((bar, i) => {
      uarts[i]?.attach(VfioRegionUartIo.of(dev.handle, bar));
    });
    dev.guest = uarts;
    return uarts;
  },
};
