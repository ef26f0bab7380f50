import {
  IOMMU_HW_CAP_DIRTY_TRACKING,
  IommuDevice,
  IommufdClient,
  type IommufdCtx,
  IommuHw,
  type IoPgtableFormatName,
  openIommufd,
} from '@vfio-sim/iommufd';
import type { KernelFile, Process } from '@vfio-sim/platform';

/** The IOMMU format a host gets unless told otherwise: HiSilicon Kunpeng is arm64 with an SMMUv3. */
export const DEFAULT_IOMMU_FORMAT: IoPgtableFormatName = 'arm-smmuv3-s1';

/** The IOMMU formats a host can have, in the order the CLI lists them. */
export const IOMMU_FORMATS: readonly IoPgtableFormatName[] = ['amd-v1', 'vtd-ss', 'arm-smmuv3-s1'];

/**
 * A host's IOMMU as the VMM uses it: the IOMMU instance in front of the VF, the VF's stream (an
 * {@link IommuDevice} whose `dmaPort` the device model DMAs through), `/dev/iommu` opened by the VMM
 * and the VF bound to it.
 */
export interface HostIommu {
  readonly format: IoPgtableFormatName;
  /** The IOMMU instance (its capability register says whether it can track dirty pages). */
  readonly hw: IommuHw;
  /** VF 0 behind the IOMMU: its DMA goes through `device.dmaPort`. */
  readonly device: IommuDevice;
  /** The VMM's `/dev/iommu` file (its `privateData` is the kernel's iommufd context). */
  readonly file: KernelFile<IommufdCtx>;
  /** The VMM's ioctl-shaped client on that fd. */
  readonly client: IommufdClient;
  /** The iommufd device id VF 0 is bound as. */
  readonly devId: number;
  /** Whether IOMMU_GET_HW_INFO reports IOMMU_HW_CAP_DIRTY_TRACKING for the VF. */
  readonly dirtyTracking: boolean;
}

/**
 * Give a host its IOMMU and let the VMM open it: `/dev/iommu` installed in `vmm`, the VF bound
 * (what `VFIO_DEVICE_BIND_IOMMUFD` on the VF's cdev does), and IOMMU_GET_HW_INFO asked whether the
 * IOMMU can track dirty pages, as QEMU's iommufd backend asks before allocating a HWPT.
 * `dirtyTracking` false gives an IOMMU without the capability (AMD without HDSup, VT-d without SLADS,
 * an SMMUv3 without HTTU dirty).
 *
 * Kernel/VMM counterpart: QEMU `iommufd_cdev_attach` → `iommufd_backend_connect`,
 * `iommufd_cdev_connect_and_bind`, `iommufd_backend_get_device_info`.
 */
export function openHostIommu(
  vmm: Process,
  vfName: string,
  format: IoPgtableFormatName,
  dirtyTracking = true,
): HostIommu {
  const hw = new IommuHw({ format, name: `${format}@${vmm.name}`, dirtyTracking });
  const device = new IommuDevice(hw, vfName);
  const file = openIommufd();
  const client = new IommufdClient(vmm, vmm.install(file));
  const devId = file.privateData.bindDevice(device);
  const { capabilities } = client.getHwInfo(devId);
  return {
    format,
    hw,
    device,
    file,
    client,
    devId,
    dirtyTracking: (capabilities & BigInt(IOMMU_HW_CAP_DIRTY_TRACKING)) !== 0n,
  };
}
