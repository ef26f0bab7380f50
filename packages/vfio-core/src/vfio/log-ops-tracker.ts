import type { DmaPageTracker } from '@vfio-sim/iommufd';
import type { VfioDevice, VfioLogOps } from './vfio-device.js';

/**
 * `log_ops` backed by a device's own DMA page tracker (iommufd's {@link DmaPageTracker}): what a variant
 * driver whose device tracks its writes sets as `vdev.logOps`, so DMA_LOGGING_START / REPORT / STOP on
 * the device fd reach the tracker. The device model must DMA through `tracker.wrap(port)` for its writes
 * to be logged.
 *
 * Kernel counterpart: a driver's `struct vfio_log_ops` over its tracker, e.g. mlx5's
 * `mlx5vf_pci_log_ops` (`mlx5vf_start_page_tracker`, `mlx5vf_stop_page_tracker`,
 * `mlx5vf_tracker_read_and_clear`).
 */
export function vfioLogOpsFromTracker<D extends VfioDevice = VfioDevice>(
  tracker: DmaPageTracker,
): VfioLogOps<D> {
  return {
    logStart: (_vdev, ranges, pageSize) => tracker.logStart(ranges, pageSize),
    logStop: () => tracker.logStop(),
    logReadAndClear: (_vdev, iova, length, dirty) => tracker.logReadAndClear(iova, length, dirty),
  };
}
