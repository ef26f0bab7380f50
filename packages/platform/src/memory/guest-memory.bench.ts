import { bench, describe } from 'vitest';
import { GuestMemory, PAGE_SIZE } from './guest-memory.js';

// Baseline: a flat ArrayBuffer with a DataView (what a dense, non-sparse memory would cost).
const SIZE = 4 << 20;
const mem = new GuestMemory(SIZE);
mem.fill(0, SIZE, 1); // every page present, so reads measure lookups, not the zero path
const flat = new DataView(new ArrayBuffer(SIZE));
const STRIDE = 4;
// Results feed a module-level sink so the JIT cannot drop the loops.
const out = { sink: 0 };

describe('u32 sequential read, 4 MiB', () => {
  bench('baseline DataView.getUint32', () => {
    let s = 0;
    for (let a = 0; a < SIZE; a += STRIDE) s += flat.getUint32(a, true);
    out.sink ^= s;
  });
  bench('GuestMemory.readU32', () => {
    let s = 0;
    for (let a = 0; a < SIZE; a += STRIDE) s += mem.readU32(a);
    out.sink ^= s;
  });
});

describe('u32 sequential write, 4 MiB', () => {
  bench('baseline DataView.setUint32', () => {
    for (let a = 0; a < SIZE; a += STRIDE) flat.setUint32(a, a, true);
  });
  bench('GuestMemory.writeU32', () => {
    for (let a = 0; a < SIZE; a += STRIDE) mem.writeU32(a, a);
  });
});

describe('u64 sequential read, 4 MiB', () => {
  bench('baseline DataView.getBigUint64', () => {
    let s = 0n;
    for (let a = 0; a < SIZE; a += 8) s ^= flat.getBigUint64(a, true);
    out.sink ^= Number(s & 1n);
  });
  bench('GuestMemory.readU64', () => {
    let s = 0n;
    for (let a = 0; a < SIZE; a += 8) s ^= mem.readU64(a);
    out.sink ^= Number(s & 1n);
  });
});

describe('64 KiB copy starting mid-page (crosses 17 pages)', () => {
  const LEN = 64 << 10;
  const src = new Uint8Array(LEN).fill(7);
  const flatBytes = new Uint8Array(flat.buffer);
  const dst = new Uint8Array(LEN);
  bench('baseline Uint8Array.set in / subarray out', () => {
    flatBytes.set(src, PAGE_SIZE / 2);
    dst.set(flatBytes.subarray(PAGE_SIZE / 2, PAGE_SIZE / 2 + LEN));
  });
  bench('GuestMemory.write + read', () => {
    mem.write(PAGE_SIZE / 2, src);
    mem.read(PAGE_SIZE / 2, dst);
  });
});

describe('guest RAM page copy into a fresh destination, 16 MiB populated', () => {
  const LEN = 16 << 20;
  const ram = new GuestMemory(64 << 20);
  ram.fill(8 << 20, LEN, 3); // populated in ascending order, as a guest's first touch leaves it
  const srcBuf = Buffer.alloc(LEN, 3);
  const dstBuf = Buffer.alloc(LEN);
  bench('baseline: Buffer.copy of the same bytes into an allocated Buffer', () => {
    srcBuf.copy(dstBuf);
    out.sink ^= dstBuf[LEN - 1]!;
  });
  bench('baseline: Buffer.alloc + Buffer.copy of the same bytes', () => {
    const dst = Buffer.alloc(LEN);
    srcBuf.copy(dst);
    out.sink ^= dst[LEN - 1]!;
  });
  // A fresh destination per copy, released after it (a VMM frees a VM's RAM when the VM goes): its
  // slabs go back to the pool the next destination takes from, as freed memory goes back to malloc.
  bench('GuestMemory.copyFrom into a new GuestMemory (released after)', () => {
    const dst = new GuestMemory(64 << 20);
    dst.copyFrom(ram, 0, 64 << 20);
    out.sink ^= dst.readU8((8 << 20) + LEN - 1);
    dst.release();
  });
});
