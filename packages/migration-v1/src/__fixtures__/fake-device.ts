import { KernelError } from '@vfio-sim/platform';
import type { MigrationV1Driver } from '../device/migration-driver.js';
import type { MigrationRegionV1 } from '../device/migration-region.js';
import {
  VFIO_DEVICE_STATE_V1_RUNNING as RUNNING,
  VFIO_DEVICE_STATE_V1_SAVING as SAVING,
} from '../uapi/device-state.js';

/** A device whose state is a byte string; pre-copy offers a prefix, stop-and-copy the rest. */
export class FakeDevice implements MigrationV1Driver {
  arcs: string[] = [];
  loaded: number[] = [];
  failNext: { errno: 'EBUSY' | 'EIO'; lose: boolean } | undefined;
  private stream = new Uint8Array();
  private pos = 0;
  constructor(
    readonly state: Uint8Array,
    readonly precopyBytes: number,
    private region?: MigrationRegionV1,
  ) {}
  attach(region: MigrationRegionV1): void {
    this.region = region;
  }
  transition(from: number, to: number): void {
    if (this.failNext) {
      const f = this.failNext;
      this.failNext = undefined;
      if (f.lose) this.region?.setError();
      throw new KernelError(f.errno, 'injected');
    }
    this.arcs.push(`${from}->${to}`);
    if (to === (SAVING | RUNNING)) {
      this.stream = this.state.slice(0, this.precopyBytes);
      this.pos = 0;
    } else if (to === SAVING) {
      this.stream = this.state.slice(from === (SAVING | RUNNING) ? this.pos : 0);
      this.pos = 0;
    }
  }
  savePending(): number {
    return this.stream.length - this.pos;
  }
  saveChunk(max: number): Uint8Array {
    const chunk = this.stream.slice(this.pos, this.pos + max);
    this.pos += chunk.length;
    return chunk;
  }
  loadChunk(data: Uint8Array): void {
    this.loaded.push(...data);
  }
}
