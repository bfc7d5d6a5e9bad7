export { CLOUD_VERSION } from './version.js';
export { buildApp, createCloud, type Cloud, type CloudOptions } from './app.js';
export { openDb, openPglite, openPostgres, type Db, type Tx } from './db/connect.js';
export { migrate } from './db/migrate.js';
export { createFederation, createVenue, createGateway, createUser } from './admin/setup.js';
export { PostingEngine } from './ledger/engine.js';
export { ingestBatch, type SyncBatch, type BatchResponse } from './sync/batches.js';
export { processItems, MAX_BATCH_ITEMS, type SyncItem } from './sync/items.js';
export type { OpResult, Operation, Posting, AccountKey } from './ledger/types.js';
