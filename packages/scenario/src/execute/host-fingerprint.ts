import { HisiAccVfCoreDevice } from '@vfio-sim/hisi-acc-vfio-pci';
import { QmStateWords } from '@vfio-sim/qm-hw';
import type { Host } from '@vfio-sim/vmm';
import { snapshotDiff } from './snapshot.js';

/**
 * What a host holds that a scenario's uAPI steps can change, kept to be compared: for the PF and every
 * accelerator VF, the QM function's state as qm-hw's {@link QmStateWords} (registers, queue contexts,
 * pause); the device's PF-only registers and VFT (`snapshotGlobals`); for every VF, the variant driver's
 * migration state (v2 state, v1 region state, data sessions, host window) and whether its PCI function
 * is bound; and the clock's pending events. A host whose fingerprint equals the one it had when it was
 * built is, as far as these steps can tell, a freshly built host (see {@link ScenarioHosts}).
 *
 * Kernel counterpart: none (a test harness's view of a machine).
 */
export class HostFingerprint {
  private readonly functions: QmStateWords[] = [];
  private rest: Record<string, unknown> = {};

  /** Read `host` into this fingerprint (its word buffers are reused). */
  take(host: Host): this {
    const fns = [host.device.pf, ...host.device.vfs];
    while (this.functions.length < fns.length) this.functions.push(new QmStateWords());
    this.functions.length = fns.length;
    fns.forEach((fn, i) => {
      this.functions[i]!.read(fn);
    });
    this.rest = {
      globals: host.device.snapshotGlobals(),
      pendingEvents: host.clock.pending,
      vfs: host.vfs.map((pdev) => {
        const hisi = pdev.drvdata instanceof HisiAccVfCoreDevice ? pdev.drvdata : undefined;
        return {
          name: pdev.name,
          driver: pdev.driver?.name ?? null,
          v2State: hisi?.migState,
          v1State: hisi?.migRegionV1?.state,
          saving: hisi?.savingMigf !== undefined,
          resuming: hisi?.resumingMigf !== undefined,
          hostWindowMapped: hisi?.window.isMapped,
        };
      }),
    };
    return this;
  }

  /** The first difference from `before` (this being after), as `where: before → after`, or undefined. */
  diff(before: HostFingerprint): string | undefined {
    const rest = snapshotDiff(before.rest, this.rest);
    if (rest !== undefined) return rest;
    if (before.functions.length !== this.functions.length)
      return `functions: ${before.functions.length} → ${this.functions.length}`;
    for (const [i, words] of this.functions.entries()) {
      const d = words.diff(before.functions[i]!);
      if (d !== undefined) return `${i === 0 ? 'pf' : `vf ${i - 1}`} hardware ${d}`;
    }
    return undefined;
  }
}
