import { HisiAccVfCoreDevice } from '@vfio-sim/hisi-acc-vfio-pci';
import { QmStateWords } from '@vfio-sim/qm-hw';
import type { Host } from '@vfio-sim/vmm';
import { snapshotDiff } from './snapshot.js';
import { SnapshotTokens } from './snapshot-tokens.js';

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
  /** The rest, as the tokens of `{ globals, pendingEvents, vfs: [...] }`. */
  private readonly rest = new SnapshotTokens();

  /** Read `host` into this fingerprint (its word buffers are reused). */
  take(host: Host): this {
    const { pf, vfs } = host.device;
    while (this.functions.length < vfs.length + 1) this.functions.push(new QmStateWords());
    this.functions.length = vfs.length + 1;
    this.functions[0]!.read(pf);
    for (let i = 0; i < vfs.length; i++) this.functions[i + 1]!.read(vfs[i]!);
    const rest = this.rest.clear().object().key('globals').value(host.device.snapshotGlobals());
    rest.field('pendingEvents', host.clock.pending).key('vfs').array();
    for (const pdev of host.vfs) {
      const hisi = pdev.drvdata instanceof HisiAccVfCoreDevice ? pdev.drvdata : undefined;
      rest
        .object()
        .field('name', pdev.name)
        .field('driver', pdev.driver?.name ?? null)
        .field('v2State', hisi?.migState)
        .field('v1State', hisi?.migRegionV1?.state)
        .field('saving', hisi?.savingMigf !== undefined)
        .field('resuming', hisi?.resumingMigf !== undefined)
        .field('hostWindowMapped', hisi?.window.isMapped)
        .end();
    }
    rest.end().end();
    return this;
  }

  /** The first difference from `before` (this being after), as `where: before → after`, or undefined. */
  diff(before: HostFingerprint): string | undefined {
    if (!this.rest.equals(before.rest)) {
      const rest = snapshotDiff(before.rest.toValue(), this.rest.toValue());
      if (rest !== undefined) return rest;
    }
    if (before.functions.length !== this.functions.length)
      return `functions: ${before.functions.length} → ${this.functions.length}`;
    for (const [i, words] of this.functions.entries()) {
      const d = words.diff(before.functions[i]!);
      if (d !== undefined) return `${i === 0 ? 'pf' : `vf ${i - 1}`} hardware ${d}`;
    }
    return undefined;
  }
}
