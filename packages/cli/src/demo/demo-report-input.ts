import type { MemoryTraceSink } from '@vfio-sim/platform';
import type { ReportInput } from '@vfio-sim/report';
import { type DemoReport, type DemoRuns, demoTitle } from './demo.js';

/** How a run moved guest RAM, for the downtime comparison's labels. */
const ramWords = (precopy: boolean) => (precopy ? 'RAM pre-copy' : 'RAM copied whole while stopped');

/** The metadata of the demo's Perfetto trace (`otherData`), as `--trace` writes it and the report embeds it. */
export function demoTraceInfo(r: DemoReport): Record<string, string | number | boolean> {
  return {
    tool: 'vfio-sim demo',
    seed: r.seed,
    protocol: r.protocol,
    kind: r.kind,
    iommu: r.iommu,
    ram: r.ram.mode,
    result: r.result,
    timeUnit: 'µs of virtual time',
  };
}

/**
 * What `@vfio-sim/report` needs of a demo: the main run's vmm report and its trace (the sink the main
 * run traced into), the two comparison runs (the other RAM mode, the other protocol), the demo's
 * verdict (all three runs, the jobs on the destination) and its words.
 */
export function demoReportInput(runs: DemoRuns, summary: DemoReport, sink: MemoryTraceSink): ReportInput {
  const protocol = summary.protocol;
  const precopy = runs.precopy;
  const gbit = (summary.linkBytesPerUs * 8) / 1000;
  return {
    title: demoTitle(summary),
    description: [
      `Two in-process hosts, VF 0 on each bound to hisi-acc-vfio-pci; QEMU's ${protocol} client drives both; ` +
        `VF DMA through each host's IOMMU (${summary.iommu}, iommufd dirty tracking); link ${gbit} Gbit/s; virtual time only.`,
      `The guest runs ${summary.jobs.engine} jobs, each output checked against ${summary.jobs.reference}.`,
    ],
    migration: runs.main.report,
    trace: { events: sink.events, tracks: sink.namedTracks() },
    label: `${protocol}, ${ramWords(precopy)} (this run)`,
    comparisons: [
      { label: `${protocol}, ${ramWords(!precopy)}`, report: runs.otherRamMode.report },
      { label: `${runs.otherProtocol.protocol}, ${ramWords(precopy)}`, report: runs.otherProtocol.report },
    ],
    verdict: { result: summary.result, failures: summary.failures },
    traceInfo: demoTraceInfo(summary),
  };
}
