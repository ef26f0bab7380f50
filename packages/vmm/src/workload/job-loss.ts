import type { ErrnoName } from '@vfio-sim/platform';
import type { GuestJobError } from '@vfio-sim/qm-hw';

/**
 * Why a job never completed with its output:
 *
 * - `hardware-error`: the hardware reported an error and the guest driver gave up on the job (a
 *   {@link GuestJobError}: its queue was stopped by a queue or device error, the job's user got EIO), or
 *   the hardware completed it with an error status.
 * - `device-reset-by-vmm`: the VMM reset the device under the guest's driver — QEMU's recovery after a
 *   failed SET MIG_DEVICE_STATE with recover state ERROR (`vfio_migration_set_state()` →
 *   VFIO_DEVICE_RESET). The guest is not told; its driver keeps using queues the reset wiped, so the jobs
 *   on the device then, and every job it submits there later, hang.
 * - `device-reset-by-host`: the host's PF driver reset the controller (after a hardware error) while the
 *   guest could not take its QM_PF_SRST_PREPARE (its vCPUs stopped for the migration): qm.c resets
 *   anyway, every queue is wiped and the guest's driver is never told.
 * - `loaded-not-started`: the destination's variant driver restored the VF as "guest driver never
 *   started" (the stream carried match data only, or `vf_qm_state` not QM_READY) while the guest's driver
 *   had queues running: no queue context was restored, so the jobs in flight and later ones hang.
 */
export type JobLossKind =
  | 'hardware-error'
  | 'device-reset-by-vmm'
  | 'device-reset-by-host'
  | 'loaded-not-started';

/** The cause attached to a lost job. */
export interface JobLossCause {
  readonly kind: JobLossKind;
  /** What happened, in words. */
  readonly detail: string;
  /** What the job's user got: an errno (EIO from the guest driver), or null — never told, it hangs. */
  readonly errno: ErrnoName | null;
  /** Virtual time (µs) of the event that lost it. */
  readonly atUs: number;
  /** The upstream code that behaves the same way (a real host would lose the job too). */
  readonly upstream: string;
}

/** A job that did not complete with its output, and why. */
export interface JobLoss {
  readonly jobId: number;
  /** Where the job was submitted. */
  readonly side: 'source' | 'destination';
  readonly cause: JobLossCause;
}

/** Where the kernel's hisi_qm gives up on a job whose queue a hardware error stopped. */
export const UPSTREAM_HW_ERROR =
  'drivers/crypto/hisilicon/qm.c: qm_process_dev_error()/qm_aeq_thread() stop the queue, qp_stop_fail_cb() fails its outstanding requests (-EIO to the crypto user)';

/** Where QEMU resets a device after a failed state change with recover state ERROR. */
export const UPSTREAM_VMM_RESET =
  'qemu hw/vfio/migration.c: vfio_migration_set_state() with recover_state ERROR goes to reset_device (ioctl VFIO_DEVICE_RESET); the guest is not notified';

/** Where qm.c resets the controller whether or not the VFs' drivers took the PF's message. */
export const UPSTREAM_HOST_RESET =
  'drivers/crypto/hisilicon/qm.c: qm_controller_reset_prepare(): "Whether VFs stop successfully, soft reset will continue" (qm_try_stop_vfs() → \'failed to send cmd to all VFs before PF reset!\'); after the reset qm_try_start_vfs() cannot reach the VF either';

/**
 * Why a destination's guest cannot take the PF's reset message while its devices start: QEMU starts
 * every device before any vCPU runs.
 */
export const UPSTREAM_VCPUS_AFTER_DEVICES =
  "qemu system/cpus.c: vm_start() → vm_prepare_start() runs vm_state_notify(1, RUN_STATE_RUNNING) — each device's VM-state handler, hw/vfio/migration.c vfio_vmstate_change() — before resume_all_vcpus()";

/** Where hisi_acc_vfio_pci loads a VF as "guest driver not started". */
export const UPSTREAM_NOT_STARTED =
  'drivers/vfio/pci/hisilicon/hisi_acc_vfio_pci.c: vf_qm_state_save() sends match data only (QM_NOT_READY) when qm_wait_dev_not_ready() times out; vf_qm_load_data() restores nothing for it, hisi_acc_vf_start_device() starts nothing';

/** The cause of a job the guest driver gave up on ({@link GuestJobError}). */
export function hardwareErrorCause(e: GuestJobError): JobLossCause {
  return {
    kind: 'hardware-error',
    detail: `${e.cause.kind}: ${e.cause.message}`,
    errno: e.errno,
    atUs: e.failedAt,
    upstream: UPSTREAM_HW_ERROR,
  };
}

/** The cause of a job the hardware completed with a bad status. */
export function completionStatusCause(status: number, atUs: number): JobLossCause {
  return {
    kind: 'hardware-error',
    detail: `completed with status 0x${status.toString(16)}`,
    errno: 'EIO',
    atUs,
    upstream:
      'drivers/crypto/hisilicon/zip/zip_crypto.c (and sec2, hpre): a bad SQE status fails the request (-EIO)',
  };
}
