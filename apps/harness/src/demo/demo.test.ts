import { describe, expect, it } from 'vitest';
import { formatDemoReport, runDemo } from './demo.js';

describe('demo', () => {
  it('is deterministic for a seed', () => {
    expect(runDemo(7)).toEqual(runDemo(7));
    expect(runDemo(7).platform).not.toEqual(runDemo(8).platform);
  });

  it('runs the platform tour in virtual time and reports every layer', () => {
    const r = runDemo(1);
    expect(r.layers.map((l) => l.name)).toEqual([
      '@vfio-sim/platform',
      '@vfio-sim/qm-hw',
      '@vfio-sim/iommufd',
      '@vfio-sim/vfio-core',
      '@vfio-sim/migration-v1',
      '@vfio-sim/migration-v2',
      '@vfio-sim/hisi-acc-vfio-pci',
    ]);
    expect(r.layers[0]!.built).toBe(true);
    expect(r.platform.pollCompletedAtUs).toBeGreaterThanOrEqual(20);
    expect(r.platform.pollCompletedAtUs % 10).toBe(0);
    expect(r.platform.guestBytesWritten).toBe(8 * 16);
  });

  it('says plainly what is not built yet', () => {
    const text = formatDemoReport(runDemo(1));
    expect(text).toContain('not built yet');
    expect(text).toContain('There is no live migration to show yet');
  });
});
