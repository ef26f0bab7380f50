import { VFIO_MIG_GET_PRECOPY_INFO, vfio_precopy_info } from '@vfio-sim/migration-v2';
import { Process, UserMemory } from '@vfio-sim/platform';
import { mdevDeviceCreate, PciHost, Vfio, type VfioDeviceHandle } from '@vfio-sim/vfio-core';
import type { MttyMdevState } from '../device/mdev-state.js';
import { type MttyDev, mttyDevInit } from '../driver/mtty-parent.js';
import { GuestUart } from '../guest/guest-uart.js';
import { VfioRegionUartIo } from '../guest/uart-io.js';

/** A UUID for test device `n`. */
export function uuid(n: number): string {
  return `83b8f4f2-509f-382f-3c1e-${n.toString(16).padStart(12, '0')}`;
}

/** A host with the mtty sample loaded (`mtty` parent on its mdev bus). */
export function mttyHost(name = 'host'): { host: PciHost; parent: MttyDev } {
  const host = new PciHost(name);
  return { host, parent: mttyDevInit(host) };
}

/** What {@link mttyBed} returns: one mtty device open in a VMM process. */
export interface MttyBed {
  readonly host: PciHost;
  readonly parent: MttyDev;
  readonly mdevState: MttyMdevState;
  readonly process: Process;
  readonly handle: VfioDeviceHandle;
}

/**
 * A host with the mtty sample, one `mtty-<ports>` device created with uuid(n), and a VMM process that
 * opened its vfio device fd (GET_INFO done, as QEMU does at realize).
 */
export function mttyBed(name = 'host', ports: 1 | 2 = 2, n = 1): MttyBed {
  const { host, parent } = mttyHost(name);
  const mdev = mdevDeviceCreate(parent, `mtty-${ports}`, uuid(n));
  const process = new Process(new UserMemory(), `qemu@${name}`);
  const handle = Vfio.of(host).openDevice(process, mdev.uuid);
  handle.getInfo();
  return { host, parent, mdevState: mdev.drvdata as MttyMdevState, process, handle };
}

/** The guest's driver for each port of `bed`'s device, probed. */
export function guestUarts(bed: Pick<MttyBed, 'handle' | 'mdevState'>): GuestUart[] {
  return bed.mdevState.ports.map((_, bar) => {
    const uart = new GuestUart(VfioRegionUartIo.of(bed.handle, bar));
    uart.probe();
    return uart;
  });
}

/** Read a data fd of `process` until it returns 0 (`chunk` bytes per read); returns every byte read. */
export function readToEof(process: Process, fd: number, chunk = 16): Uint8Array {
  const buf = process.mm.alloc(chunk);
  const out: number[] = [];
  for (;;) {
    const n = process.read(fd, buf, chunk);
    if (n === 0) return Uint8Array.from(out);
    out.push(...process.mm.copyFromUser(buf, n));
  }
}

/** Write `bytes` to a data fd of `process` in `chunk`-byte writes; returns the bytes accepted. */
export function writeAll(process: Process, fd: number, bytes: Uint8Array, chunk = 16): number {
  const buf = process.mm.alloc(Math.max(chunk, 1));
  let done = 0;
  while (done < bytes.length) {
    const part = bytes.subarray(done, done + chunk);
    process.mm.copyToUser(buf, part);
    done += process.write(fd, buf, part.length);
  }
  return done;
}

/** Every port's `struct serial_port` bytes, copied (to compare states). */
export function portBytes(mdevState: MttyMdevState): Uint8Array[] {
  return mdevState.ports.map((p) => p.bytes.slice());
}

/** VFIO_MIG_GET_PRECOPY_INFO on data fd `fd` with `argsz`: the kernel's answer. */
export function precopyInfo(process: Process, fd: number, argsz = vfio_precopy_info.size) {
  const va = process.mm.alloc(vfio_precopy_info.size);
  process.mm.copyToUser(va, vfio_precopy_info.encode({ ...vfio_precopy_info.zero(), argsz }));
  process.ioctl(fd, VFIO_MIG_GET_PRECOPY_INFO, va);
  const info = vfio_precopy_info.decode(process.mm.copyFromUser(va, vfio_precopy_info.size));
  return { initialBytes: Number(info.initial_bytes), dirtyBytes: Number(info.dirty_bytes) };
}
