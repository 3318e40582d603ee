export { type Dialect, openStore, type Store, type StoreOptions } from './database.ts';
export * from './instances.ts';
export * from './keyChecks.ts';
export { migrateToLatest } from './migrate.ts';
export * from './organizations.ts';
export type { Tables } from './tables.ts';
