import type { BrowserContext, BrowserContextOptions, Page } from 'playwright-core';

export type { BrowserContext, Page };

/** Debian's chromium (`VFIO_SIM_CHROMIUM` overrides the path). */
export declare const CHROMIUM_PATH: string;
/** Headless, no sandbox, nothing that reaches the network on its own. */
export declare const CHROMIUM_ARGS: readonly string[];
/** Why browser tests cannot run here, naming the missing binary; null when chromium is there. Throws in CI. */
export declare function chromiumMissing(): string | null;
/** Chromium headless with a fresh profile; `close()` ends it and removes the profile. */
export declare function launchChromium(
  options?: BrowserContextOptions,
): Promise<{ context: BrowserContext; close: () => Promise<void> }>;
/** Console errors and uncaught exceptions of `page`, collected as they happen. */
export declare function collectPageErrors(page: Page): string[];
/** Pixels per unit of an Observable Plot chart's x axis (`svgSelector`: its svg), from its tick labels. */
export declare function plotPixelsPerUnit(page: Page, svgSelector: string): Promise<number>;
