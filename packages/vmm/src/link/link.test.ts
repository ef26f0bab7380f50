import { errnoOf, VirtualClock } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { LINK_10GBIT_BYTES_PER_US, MigrationLink } from './link.js';

const bytes = (n: number, fill = 7) => new Uint8Array(n).fill(fill);

describe('MigrationLink', () => {
  it('costs ceil(bytes / bandwidth) µs and runs the events due meanwhile', () => {
    const clock = new VirtualClock();
    const link = new MigrationLink(clock);
    let fired = 0;
    clock.after(2, () => fired++);
    link.send(LINK_10GBIT_BYTES_PER_US * 3 + 1);
    expect(clock.now()).toBe(4);
    expect(fired).toBe(1);
    link.send(0);
    expect(clock.now()).toBe(4);
    expect(link.bytesSent).toBe(LINK_10GBIT_BYTES_PER_US * 3 + 1);
  });

  it('needs a positive speed and sane faults (EINVAL)', () => {
    const clock = new VirtualClock();
    for (const speed of [0, -1, Number.NaN])
      expect(errnoOf(() => new MigrationLink(clock, speed))).toBe('EINVAL');
    for (const fault of [
      { kind: 'flip', section: -1, byte: 0 },
      { kind: 'flip', section: 0, byte: 1.5 },
      { kind: 'flip', section: 0, byte: 0, mask: 0 },
      { kind: 'cut', section: 0, keep: -2 },
    ] as const)
      expect(errnoOf(() => new MigrationLink(clock, 1, { faults: [fault] }))).toBe('EINVAL');
  });

  it('carries sections framed (8 bytes each, on the clock too) and delivers them unchanged', () => {
    const clock = new VirtualClock();
    const link = new MigrationLink(clock, 10);
    expect([...link.transferSection(bytes(12), 'setup')]).toEqual([...bytes(12)]);
    expect(clock.now()).toBe(2); // 20 bytes at 10 bytes/µs
    expect(link.report()).toMatchObject({
      sectionCrc: true,
      sections: 1,
      sectionSizes: [12],
      framingBytes: 8,
      refused: null,
      corruptDelivered: 0,
    });
  });

  it('a flip or a cut in flight is refused (EIO) and recorded; the fault hits its section of its phase only', () => {
    const clock = new VirtualClock();
    const link = new MigrationLink(clock, 100, {
      faults: [
        { kind: 'flip', section: 1, phase: 'pre-copy', byte: 3 },
        { kind: 'cut', section: 5, keep: 4 }, // never reached
      ],
    });
    link.transferSection(bytes(10), 'setup');
    link.transferSection(bytes(10), 'pre-copy'); // section 0 of pre-copy: untouched
    expect(errnoOf(() => link.transferSection(bytes(10), 'pre-copy'))).toBe('EIO');
    const r = link.report();
    expect(r.refused).toMatchObject({ section: 2, reason: expect.stringMatching(/CRC-32C/) });
    expect(r.faults).toEqual([
      { fault: expect.objectContaining({ kind: 'flip' }), section: 2, phase: 'pre-copy', refused: true },
      { fault: expect.objectContaining({ kind: 'cut' }), section: null, phase: null, refused: false },
    ]);
    const cut = new MigrationLink(clock, 100, { faults: [{ kind: 'cut', section: 0, keep: 9 }] });
    expect(errnoOf(() => cut.transferSection(bytes(10), 'stop-and-copy'))).toBe('EIO');
  });

  it('without sectionCrc a corrupted section is delivered as it arrived (counted as corrupt)', () => {
    const clock = new VirtualClock();
    const link = new MigrationLink(clock, 100, {
      sectionCrc: false,
      faults: [
        { kind: 'flip', section: 0, byte: 1, mask: 0x10 },
        { kind: 'cut', section: 1, keep: 3 },
        { kind: 'flip', section: 2, byte: 50 }, // beyond the section: does nothing
      ],
    });
    expect([...link.transferSection(bytes(4), 'setup')]).toEqual([7, 0x17, 7, 7]);
    expect(link.transferSection(bytes(10), 'setup').length).toBe(3);
    expect(link.transferSection(bytes(10), 'setup').length).toBe(10);
    const r = link.report();
    expect(r).toMatchObject({ sectionCrc: false, framingBytes: 0, corruptDelivered: 2, refused: null });
    expect(r.faults[2]!.section).toBeNull();
  });
});
