/**
 * @packageDocumentation
 * vfio and vfio-pci-core: a PCI model (functions, BARs backed by MMIO regions, SR-IOV, driver binding),
 * the vfio device with its ops table and device fd (legacy, or the device cdev bound to iommufd with
 * BIND_IOMMUFD / ATTACH_IOMMUFD_PT / DETACH_IOMMUFD_PT, the function's DMA following the attached IOMMU
 * domain), vfio-pci-core as a library of default ops, the VFIO_DEVICE_FEATURE dispatch to migration and
 * DMA-logging ops, the mediated-device bus (mdev parents, types, create/remove), and an ioctl-shaped
 * VMM client.
 */
export * from './client/index.js';
export * from './mdev/index.js';
export * from './pci/index.js';
export * from './pci-core/index.js';
export * from './uapi/index.js';
export * from './vfio/index.js';
