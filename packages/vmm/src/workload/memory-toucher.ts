import { type GuestMemory, KernelError, PAGE_SIZE, Prng } from '@vfio-sim/platform';
import type { Vm } from '../vm/vm.js';

/** Options of {@link MemoryToucher}. */
export interface MemoryToucherOptions {
  /** Guest-physical address of the first page touched (page-aligned). */
  readonly base: number;
  /** Bytes touched from `base` (a positive multiple of 4 KiB). */
  readonly bytes: number;
  /** Seeds the contents and which pages {@link MemoryToucher.rewrite} picks. */
  readonly seed: number;
}

/** Random bytes every page's contents are drawn from: 64 KiB (16 pages), one per seed. */
const POOL_PAGES = 16;
/** Pages written per `GuestMemory.write` by {@link MemoryToucher.touch}: 1 MiB. */
const BATCH_PAGES = 256;

/**
 * A guest program that fills `bytes` of its RAM from `base` and rewrites pages of it later: every
 * page's contents are a function of the seed, the page and how often it was rewritten (a 4 KiB window
 * of a seeded 64 KiB random pool, stamped with the seed, the page frame number and that count), so
 * {@link verify} can tell, page by page, whether a memory holds exactly what the guest wrote last.
 * Every write is a CPU store into guest RAM: the CPU dirty log sees it. Which pages a rewrite picks is
 * seeded too: same seed, same pages, same bytes.
 *
 * Guest counterpart: a guest application touching its memory (a database warming its buffer pool, a
 * memory stress test such as `stress-ng --vm`).
 */
export class MemoryToucher {
  /** Pages touched. */
  readonly pages: number;
  private readonly firstPfn: number;
  private readonly pool: Uint8Array;
  /** How often each page was written (0 = never), modulo 2^16. */
  private readonly writes: Uint16Array;
  private readonly prng: Prng;
  private readonly page = new Uint8Array(PAGE_SIZE);

  /** @throws KernelError EINVAL for a base or length that is not whole pages. */
  constructor(readonly options: MemoryToucherOptions) {
    const { base, bytes, seed } = options;
    if (!(Number.isSafeInteger(base) && base >= 0 && base % PAGE_SIZE === 0))
      throw new KernelError('EINVAL', `memory toucher base ${base} is not page-aligned`);
    if (!(Number.isSafeInteger(bytes) && bytes > 0 && bytes % PAGE_SIZE === 0))
      throw new KernelError('EINVAL', `memory toucher length ${bytes} is not a positive number of pages`);
    this.pages = bytes / PAGE_SIZE;
    this.firstPfn = base / PAGE_SIZE;
    this.prng = new Prng(seed >>> 0);
    this.pool = this.prng.fill(new Uint8Array(POOL_PAGES * PAGE_SIZE));
    this.writes = new Uint16Array(this.pages);
  }

  /**
   * Write every page once, 1 MiB per store.
   * @throws KernelError EFAULT if the range lies outside `memory` (nothing is written then).
   */
  touch(memory: GuestMemory): void {
    this.checkRange(memory);
    const batch = new Uint8Array(Math.min(BATCH_PAGES, this.pages) * PAGE_SIZE);
    for (let first = 0; first < this.pages; first += BATCH_PAGES) {
      const n = Math.min(BATCH_PAGES, this.pages - first);
      for (let i = 0; i < n; i++) {
        this.writes[first + i]!++;
        this.contents(first + i, batch.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE));
      }
      memory.write((this.firstPfn + first) * PAGE_SIZE, batch.subarray(0, n * PAGE_SIZE));
    }
  }

  /**
   * Rewrite `count` pages picked from the seed (a page may come up twice); their contents change.
   * @throws KernelError EINVAL for a negative count; EFAULT if the range lies outside `memory`.
   */
  rewrite(memory: GuestMemory, count: number): void {
    if (!(Number.isInteger(count) && count >= 0))
      throw new KernelError('EINVAL', `rewrite of ${count} pages`);
    this.checkRange(memory);
    for (let k = 0; k < count; k++) {
      const i = this.prng.int(0, this.pages - 1);
      this.writes[i]!++;
      this.contents(i, this.page);
      memory.write((this.firstPfn + i) * PAGE_SIZE, this.page);
    }
  }

  /**
   * The page frame numbers in the toucher's range where `memory` does not hold what the guest wrote
   * last (a page never written must read as zeros), ascending.
   * @throws KernelError EFAULT if the range lies outside `memory`.
   */
  verify(memory: GuestMemory): number[] {
    this.checkRange(memory);
    const got = new Uint8Array(PAGE_SIZE);
    const want = this.page;
    const g = new Int32Array(got.buffer);
    const w = new Int32Array(want.buffer);
    const bad: number[] = [];
    for (let i = 0; i < this.pages; i++) {
      memory.read((this.firstPfn + i) * PAGE_SIZE, got);
      if (this.writes[i] === 0) want.fill(0);
      else this.contents(i, want);
      for (let k = 0; k < w.length; k++) {
        if (g[k] !== w[k]) {
          bad.push(this.firstPfn + i);
          break;
        }
      }
    }
    return bad;
  }

  /** Page `i`'s contents after its latest write, into `out` (4 KiB). */
  private contents(i: number, out: Uint8Array): void {
    const gen = this.writes[i]!;
    const from = ((i * 7 + gen) % POOL_PAGES) * PAGE_SIZE;
    out.set(this.pool.subarray(from, from + PAGE_SIZE));
    const pfn = this.firstPfn + i;
    // the stamp: seed, page frame number, write count (little-endian u32s)
    writeLe32(out, 0, this.options.seed);
    writeLe32(out, 4, pfn % 2 ** 32);
    writeLe32(out, 8, gen);
  }

  private checkRange(memory: GuestMemory): void {
    if ((this.firstPfn + this.pages) * PAGE_SIZE > memory.size)
      throw new KernelError(
        'EFAULT',
        `memory toucher range [${this.options.base}, +${this.options.bytes}) is outside ${memory.size} bytes of RAM`,
      );
  }
}

/** Options of {@link startTouchStream}. */
export interface TouchStreamOptions {
  readonly vm: Vm;
  readonly toucher: MemoryToucher;
  /** Virtual time between rewrites (µs, ≥ 1). */
  readonly periodUs: number;
  /** Pages rewritten each time. */
  readonly pagesPerTick: number;
  /** Ticks at most. */
  readonly limit: number;
}

/** A running {@link startTouchStream}. */
export interface TouchStream {
  /** Ticks done so far. */
  readonly ticks: number;
}

/**
 * The toucher keeps writing while the guest runs: every `periodUs` of virtual time, while the vCPUs
 * run, `pagesPerTick` pages of `vm`'s RAM are rewritten ({@link MemoryToucher.rewrite}) — the dirty
 * rate a RAM pre-copy has to outrun. It ends for good at the first tick after the vCPUs stopped, or
 * after `limit` ticks, so the clock goes idle.
 * @throws KernelError EINVAL for a period below 1 µs or a negative count or limit.
 */
export function startTouchStream(options: TouchStreamOptions): TouchStream {
  const { vm, toucher, periodUs, pagesPerTick, limit } = options;
  const bad = (n: number) => !(Number.isInteger(n) && n >= 0);
  if (!(Number.isInteger(periodUs) && periodUs >= 1) || bad(pagesPerTick) || bad(limit))
    throw new KernelError(
      'EINVAL',
      `touch stream period ${periodUs} µs, ${pagesPerTick} pages per tick, limit ${limit}`,
    );
  const state = { ticks: 0 };
  const tick = (): void => {
    if (!vm.isRunning || state.ticks >= limit) return;
    toucher.rewrite(vm.memory, pagesPerTick);
    state.ticks++;
    if (state.ticks < limit) vm.clock.after(periodUs, tick);
  };
  if (limit > 0) vm.clock.after(periodUs, tick);
  return state;
}

function writeLe32(out: Uint8Array, at: number, v: number): void {
  out[at] = v & 0xff;
  out[at + 1] = (v >>> 8) & 0xff;
  out[at + 2] = (v >>> 16) & 0xff;
  out[at + 3] = (v >>> 24) & 0xff;
}
