import type { MigrateReport } from '@vfio-sim/vmm';

/** A live migration a scenario's `migrate` step ran, with where it is in the file. */
export interface ScenarioMigration {
  /** The scenario file and its `name:`. */
  readonly file: string;
  readonly scenario: string;
  /** The `migrate` step: its index, label and position in the file. */
  readonly step: {
    readonly index: number;
    readonly label: string;
    readonly line: number;
    readonly column: number;
  };
  /** The migrated guest's name (its process in the trace). */
  readonly guest: string;
  /** vmm's report of the migration, whatever the step expected of it. */
  readonly report: MigrateReport;
}
