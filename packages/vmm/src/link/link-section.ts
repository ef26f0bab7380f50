import { KernelError } from '@vfio-sim/platform';
import CRC32C from 'crc-32/crc32c.js';

/** Bytes the link puts before each section: be32 length, be32 CRC-32C of the section. */
export const LINK_SECTION_HEADER_SIZE = 8;

/** CRC-32C (Castagnoli, the iSCSI / ext4 / SCTP polynomial 0x1EDC6F41) of `bytes`, unsigned. */
export function crc32c(bytes: Uint8Array): number {
  return CRC32C.buf(bytes) >>> 0;
}

/**
 * One section as the link carries it: its length and its CRC-32C (big-endian, 4 bytes each), then the
 * section's bytes.
 *
 * VMM counterpart: none — beyond upstream: QEMU's stream has no per-section length or checksum (a
 * section's records are self-delimiting and only a transport error is noticed). See the package README,
 * "Deliberate differences".
 */
export function frameSection(section: Uint8Array): Uint8Array {
  const frame = new Uint8Array(LINK_SECTION_HEADER_SIZE + section.length);
  const view = new DataView(frame.buffer);
  view.setUint32(0, section.length);
  view.setUint32(4, crc32c(section));
  frame.set(section, LINK_SECTION_HEADER_SIZE);
  return frame;
}

/**
 * The destination's check of a framed section: the bytes that arrived must be a whole header, exactly
 * the length it announces, and match its CRC-32C.
 * @returns the section's bytes.
 * @throws KernelError EIO (`context.section` = `index`) for a short header, a length mismatch or a
 *   CRC mismatch — the destination refuses the section and the migration fails (the source resumes).
 */
export function unframeSection(frame: Uint8Array, index: number): Uint8Array {
  if (frame.length < LINK_SECTION_HEADER_SIZE)
    throw new KernelError('EIO', `section ${index}: ${frame.length} bytes, no whole header`, {
      section: index,
    });
  const view = new DataView(frame.buffer, frame.byteOffset, frame.length);
  const length = view.getUint32(0);
  const body = frame.subarray(LINK_SECTION_HEADER_SIZE);
  if (body.length !== length)
    throw new KernelError(
      'EIO',
      `section ${index}: ${body.length} bytes arrived, its header says ${length}`,
      {
        section: index,
      },
    );
  const want = view.getUint32(4);
  const got = crc32c(body);
  if (got !== want)
    throw new KernelError(
      'EIO',
      `section ${index}: CRC-32C 0x${got.toString(16).padStart(8, '0')}, its header says 0x${want.toString(16).padStart(8, '0')}`,
      { section: index },
    );
  return body;
}
