export { VfioMigrationFile, type VfioMigrationFileOptions } from './migration-file.js';
export { type VfioMigStateDevice, type VfioMigStepFn, vfioMigSetStateLoop } from './set-state-loop.js';
