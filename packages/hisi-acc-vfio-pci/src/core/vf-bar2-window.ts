import { KernelError, type MmioRegion } from '@vfio-sim/platform';

/**
 * The host driver's own mapping of a VF's BAR2 (the RFC's on-demand `ioremap` of `vf_qm.io_base`),
 * gated so that the host touches the guest-owned VF registers only while the guest's vCPUs are stopped.
 *
 * The driver maps the window when the device leaves the running states (stop-and-copy, STOP, RESUMING)
 * and unmaps it once a transition into a running state has completed (after the restart doorbells).
 * Any access while unmapped is refused with EIO and reaches nothing; `accesses` counts the accesses that
 * did reach the device, `refused` the ones that did not, so tests can prove the rule.
 *
 * Two lifetimes: the host mapping itself exists from `open_device` to `close_device` ({@link ioremap} /
 * {@link iounmap}, as the merged driver's `hisi_acc_vf_qm_init()` maps BAR2 at open); inside it, the gate
 * ({@link map} / {@link unmap}) opens only while the vCPUs are stopped (the RFC's on-demand mapping in the
 * SAVING/RESUMING paths — the model keeps the RFC's intent). Gating open without the mapping is EIO.
 *
 * Kernel counterpart: `hisi_acc_vf_qm_init()` / `ioremap(pci_resource_start(vf_dev, VFIO_PCI_BAR2_REGION_INDEX), …)`
 * and `iounmap(vf_qm->io_base)` in hisi_acc_vfio_pci.c.
 */
export class VfBar2Window implements MmioRegion {
  /** Accesses that reached the VF registers. */
  accesses = 0;
  /** Accesses refused because the window was unmapped. */
  refused = 0;
  /**
   * Fault injection: `ioremap()` fails as when the kernel's `ioremap()` returns NULL (no virtual space
   * left); the driver's open then fails with EIO.
   */
  failIoremap = false;
  private mapped = false;
  private remapped = false;

  constructor(
    /** The VF's full BAR2 register file (both halves). */
    private readonly bar2: MmioRegion,
    /** Device name, for messages. */
    private readonly name: string,
  ) {}

  /** The BAR2 length (functional + migration halves). */
  get size(): number {
    return this.bar2.size;
  }

  /** Whether the host may touch the VF registers now. */
  get isMapped(): boolean {
    return this.mapped;
  }

  /** Whether the host holds the BAR2 mapping (between {@link ioremap} and {@link iounmap}). */
  get isIoremapped(): boolean {
    return this.remapped;
  }

  /**
   * `ioremap()` of the whole BAR2 (at open). Access stays gated until {@link map}.
   * @throws KernelError EIO when the mapping cannot be made ({@link failIoremap}); nothing is held then.
   */
  ioremap(): void {
    if (this.failIoremap) throw new KernelError('EIO', `${this.name}: ioremap of VF BAR2 failed`);
    this.remapped = true;
  }

  /** `iounmap()` (at close): the gate closes with it. */
  iounmap(): void {
    this.mapped = false;
    this.remapped = false;
  }

  /** Open the gate (the vCPUs are stopped). @throws KernelError EIO without the host mapping */
  map(): void {
    if (!this.remapped)
      throw new KernelError('EIO', `${this.name}: VF BAR2 is not ioremapped (device not open)`);
    this.mapped = true;
  }

  /** Close the gate (the vCPUs may run again). */
  unmap(): void {
    this.mapped = false;
  }

  readl(offset: number): number {
    this.check(offset);
    return this.bar2.readl(offset);
  }

  writel(offset: number, value: number): void {
    this.check(offset);
    this.bar2.writel(offset, value);
  }

  read(offset: number, data: Uint8Array): void {
    this.check(offset);
    this.bar2.read(offset, data);
  }

  write(offset: number, data: Uint8Array): void {
    this.check(offset);
    this.bar2.write(offset, data);
  }

  private check(offset: number): void {
    if (!this.mapped) {
      this.refused++;
      throw new KernelError(
        'EIO',
        `${this.name}: host access to VF BAR2 0x${offset.toString(16)} while the guest may run (window unmapped)`,
      );
    }
    this.accesses++;
  }
}
