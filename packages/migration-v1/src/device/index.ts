export type { MigrationV1Driver } from './migration-driver.js';
export { MigrationRegionV1, type MigrationRegionV1Options } from './migration-region.js';
export { type RegisteredMigrationRegionV1, vfioPciRegisterMigrationRegionV1 } from './register.js';
