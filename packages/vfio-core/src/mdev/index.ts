export { MdevBus } from './mdev-bus.js';
export { MdevDevice, mdevDeviceCreate, mdevDeviceRemove } from './mdev-device.js';
export { type MdevDriver, type MdevType, VFIO_DEVICE_API_PCI_STRING } from './mdev-driver.js';
export { MdevParent, mdevRegisterParent, mdevUnregisterParent } from './mdev-parent.js';
