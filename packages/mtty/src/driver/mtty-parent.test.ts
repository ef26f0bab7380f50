import { errnoOf, Process, UserMemory } from '@vfio-sim/platform';
import { MdevBus, mdevDeviceCreate, mdevDeviceRemove, PciHost, Vfio } from '@vfio-sim/vfio-core';
import { describe, expect, it } from 'vitest';
import { mttyHost, uuid } from '../__fixtures__/mtty-host.js';
import type { MttyMdevState } from '../device/mdev-state.js';
import { MAX_MTTYS } from '../uapi/mtty-data.js';
import { MTTY_MIGRATION_FLAGS } from './mtty-dev-ops.js';
import { mttyDevExit, mttyDevInit } from './mtty-parent.js';

describe('the mtty parent (mtty_dev_init, mtty_driver)', () => {
  it('offers mtty-1 and mtty-2 with their names; available_instances = free ports / ports per device', () => {
    const { parent } = mttyHost();
    expect(parent.types.map((t) => [parent.typeName(t), t.prettyName])).toEqual([
      ['mtty-1', 'Single port serial'],
      ['mtty-2', 'Dual port serial'],
    ]);
    expect([parent.availableInstances('mtty-1'), parent.availableInstances('mtty-2')]).toEqual([24, 12]);
    mdevDeviceCreate(parent, 'mtty-2', uuid(1));
    mdevDeviceCreate(parent, 'mtty-1', uuid(2));
    expect([parent.availableInstances('mtty-1'), parent.availableInstances('mtty-2')]).toEqual([21, 10]);
  });

  it('a device gets its port count, the migration flags and RUNNING; its vfio device is named by the UUID', () => {
    const { host, parent } = mttyHost();
    const mdev = mdevDeviceCreate(parent, 'mtty-1', uuid(3));
    const mdevState = mdev.drvdata as MttyMdevState;
    expect(Vfio.of(host).lookup(uuid(3))).toBe(mdevState);
    expect([mdevState.nrPorts, mdevState.migrationFlags, mdevState.migState]).toEqual([
      1,
      MTTY_MIGRATION_FLAGS,
      2,
    ]);
    expect(mdevState.s.map((p) => p.maxFifoSize)).toEqual([16, 16]);
    expect(mdevState.ports).toHaveLength(1);
  });

  it('the port pool runs out: ENOSPC from init, nothing created, nothing taken; removing gives ports back', () => {
    const { host, parent } = mttyHost();
    for (let i = 0; i < MAX_MTTYS / 2 - 1; i++) mdevDeviceCreate(parent, 'mtty-2', uuid(10 + i));
    const last = mdevDeviceCreate(parent, 'mtty-1', uuid(100));
    expect(parent.availPorts).toBe(1);
    expect(errnoOf(() => mdevDeviceCreate(parent, 'mtty-2', uuid(101)))).toBe('ENOSPC');
    expect(parent.availPorts).toBe(1);
    expect(MdevBus.of(host).devices.has(uuid(101))).toBe(false);
    expect(errnoOf(() => Vfio.of(host).lookup(uuid(101)))).toBe('ENODEV');
    mdevDeviceRemove(last);
    expect(parent.availPorts).toBe(2);
    mdevDeviceCreate(parent, 'mtty-2', uuid(101));
    expect(parent.availPorts).toBe(0);
  });

  it('one parent per host (EEXIST); unloading with an open device fd is EBUSY, after close it succeeds', () => {
    const host = new PciHost('h');
    const parent = mttyDevInit(host);
    expect(errnoOf(() => mttyDevInit(host))).toBe('EEXIST');
    mdevDeviceCreate(parent, 'mtty-2', uuid(1));
    const handle = Vfio.of(host).openDevice(new Process(new UserMemory()), uuid(1));
    expect(errnoOf(() => mttyDevExit(parent))).toBe('EBUSY');
    expect(parent.registered).toBe(true);
    handle.close();
    mttyDevExit(parent);
    expect(parent.registered).toBe(false);
    expect(parent.availPorts).toBe(MAX_MTTYS);
    expect(Vfio.of(host).list()).toEqual([]);
  });
});
