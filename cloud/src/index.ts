export { createFederation, createGateway, createUser, createVenue } from './admin/setup.js';
export { registerAgendaRoutes } from './agenda/routes.js';
export { buildApp, type Cloud, type CloudOptions, createCloud } from './app.js';
export { type PurgeResult, purgeArtistSignups, SIGNUP_RETENTION_MS } from './artists/purge.js';
export { type Db, openDb, openPglite, openPostgres, type Tx } from './db/connect.js';
export { migrate } from './db/migrate.js';
export { type DormancyRunResult, runDormancy } from './dormancy/job.js';
export { sendOutbox, smtpTransport, startOutboxSender } from './dormancy/outbox.js';
export { type DormancyPolicy, getDormancyPolicy, setDormancyPolicy } from './dormancy/policy.js';
export { PostingEngine } from './ledger/engine.js';
export { type ReissueResult, reissueCard } from './ledger/reissue.js';
export type { AccountKey, Operation, OpResult, Posting } from './ledger/types.js';
export { requireVenue } from './ledger/venue.js';
export type { CheckoutRequest, PaidSession, PaymentProvider } from './payments/provider.js';
export {
  StripeCheckout,
  type StripeOptions,
  stripeSignature,
  verifyStripeSignature,
} from './payments/stripe.js';
export { cardIssue, walletPath, walletSig } from './public/wallet-link.js';
export {
  HOLDER_LINK_RETENTION_MS,
  OUTBOX_RETENTION_MS,
  purgeHolderLinks,
  purgeOutbox,
  purgePersonalData,
  purgeSessions,
  type RetentionResult,
  SESSION_RETENTION_MS,
} from './retention/purge.js';
export { type BatchResponse, ingestBatch, type SyncBatch } from './sync/batches.js';
export { MAX_BATCH_ITEMS, processItems, type SyncItem } from './sync/items.js';
export { TicketKeys } from './ticketing/keys.js';
export { registerTicketingRoutes } from './ticketing/routes.js';
export * as ticketToken from './ticketing/token.js';
export { chainHash, entryBytes, type PublicLogEntry } from './transparency/chain.js';
export * as checkpoint from './transparency/checkpoint.js';
export { exportLog, logMeta, logRoutes } from './transparency/log-routes.js';
export { CheckpointService, loadLogKey, TransparencyLog } from './transparency/log-store.js';
export * as merkle from './transparency/merkle.js';
export { downloadLog, logClient, openLog } from './verify/download.js';
export { ExportReadError, openExport } from './verify/read-export.js';
export {
  type LogExport,
  type LogHead,
  type VerifyOptions,
  type VerifyReport,
  verifyExport,
  verifyLog,
} from './verify/verify.js';
export { CLOUD_VERSION } from './version.js';
