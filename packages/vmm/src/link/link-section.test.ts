import { fc, test } from '@fast-check/vitest';
import { errnoOf, isKernelError } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { crc32c, frameSection, LINK_SECTION_HEADER_SIZE, unframeSection } from './link-section.js';

describe('link sections (length + CRC-32C)', () => {
  it('CRC-32C is Castagnoli: the check value of "123456789" is 0xe3069283', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe306_9283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  it('a frame is be32 length, be32 CRC-32C, then the section; it unframes to the same bytes', () => {
    const section = Uint8Array.from([1, 2, 3, 4, 5]);
    const frame = frameSection(section);
    expect(frame.length).toBe(LINK_SECTION_HEADER_SIZE + 5);
    const view = new DataView(frame.buffer);
    expect(view.getUint32(0)).toBe(5);
    expect(view.getUint32(4)).toBe(crc32c(section));
    expect([...unframeSection(frame, 0)]).toEqual([1, 2, 3, 4, 5]);
  });

  test.prop([fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.nat(), fc.integer({ min: 1, max: 255 })], {
    numRuns: 300,
  })('every one-byte change of a frame is refused with EIO', (section, at, mask) => {
    const frame = frameSection(section);
    const i = at % frame.length;
    frame[i] = (frame[i] as number) ^ mask;
    expect(errnoOf(() => unframeSection(frame, 3))).toBe('EIO');
  });

  test.prop([fc.uint8Array({ maxLength: 300 }), fc.nat()], { numRuns: 200 })(
    'every cut frame is refused with EIO, naming the section',
    (section, at) => {
      const frame = frameSection(section);
      const cut = frame.subarray(0, at % frame.length);
      try {
        unframeSection(cut, 7);
        expect.unreachable();
      } catch (e) {
        expect(isKernelError(e, 'EIO')).toBe(true);
        expect((e as Error).message).toMatch(/^EIO: section 7: /);
      }
    },
  );
});
