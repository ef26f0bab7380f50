/**
 * What a variant driver implements to speak migration v1 through a {@link MigrationRegionV1}.
 *
 * The region owns the uAPI (field access rules, the device_state bits, the save and resume iterations);
 * the driver owns the device: what an arc does and which bytes make up its state.
 */
export interface MigrationV1Driver {
  /**
   * Carry out the arc `from → to` (both valid masked states, different). Throw a KernelError to refuse
   * or fail it; the region then keeps `from`, unless the driver called {@link MigrationRegionV1.setError}
   * because the device state is lost.
   */
  transition(from: number, to: number): void;
  /** Saving: bytes the device still has to hand over in the current saving state. */
  savePending(): number;
  /** Saving: the next chunk, at most `max` bytes; handing it out consumes it. */
  saveChunk(max: number): Uint8Array;
  /** Resuming: consume one chunk the user wrote (in order). Throw a KernelError to reject it. */
  loadChunk(data: Uint8Array): void;
  /** A device reset (VFIO_DEVICE_RESET / FLR) happened: drop any migration session. */
  reset?(): void;
}
