// Ledger schema. Money columns are bigint minor units. Hot tables (transfers, log_entries,
// operations) carry no foreign keys: the ingest path writes thousands of rows per batch and the
// engine resolves every account id itself under the log lock, so an FK lookup per row would only
// re-check what the engine just read.
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  check,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });
const money = (name: string) => bigint(name, { mode: 'number' });
const created = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

export const federations = pgTable('federations', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  /** An unknown card's first tap creates an anonymous wallet. */
  allowAnonymous: boolean('allow_anonymous').notNull().default(true),
  createdAt: created(),
});

export const venues = pgTable('venues', {
  id: text('id').primaryKey(),
  federationId: text('federation_id')
    .notNull()
    .references(() => federations.id),
  name: text('name').notNull(),
  currency: text('currency').notNull().default('EUR'),
  configVersion: integer('config_version').notNull().default(1),
  standInPerCard: money('stand_in_per_card').notNull().default(3000),
  standInPerVenue: money('stand_in_per_venue').notNull().default(200000),
  /** Venue policy: refund of non-refundable assets, time-currency voucher rule, menus. */
  policy: jsonb('policy').notNull().default({}),
  pointsOfSale: jsonb('points_of_sale').notNull().default([]),
  createdAt: created(),
});

export const gateways = pgTable('gateways', {
  id: text('id').primaryKey(),
  venueId: text('venue_id')
    .notNull()
    .references(() => venues.id),
  /** SHA-256 of the API key; the key itself is shown once at creation. */
  keyHash: bytea('key_hash').notNull().unique(),
  revokedAt: timestamp('revoked_at', { withTimezone: true }),
  createdAt: created(),
});

export const people = pgTable('people', {
  id: text('id').primaryKey(),
  federationId: text('federation_id')
    .notNull()
    .references(() => federations.id),
  displayName: text('display_name').notNull(),
  email: text('email'),
  createdAt: created(),
});

export const wallets = pgTable(
  'wallets',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    federationId: text('federation_id').notNull(),
    /** null = anonymous card wallet. */
    personId: text('person_id'),
    /** Set when this anonymous wallet was merged into a person's wallet. */
    mergedInto: bigint('merged_into', { mode: 'number' }),
    createdAt: created(),
  },
  (t) => [uniqueIndex('wallets_person').on(t.personId)],
);

export const cards = pgTable(
  'cards',
  {
    uid: text('uid').primaryKey(),
    federationId: text('federation_id').notNull(),
    type: text('type').notNull().default('iso14443a'),
    printedNumber: text('printed_number'),
    walletId: bigint('wallet_id', { mode: 'number' }),
    blocked: boolean('blocked').notNull().default(false),
    replacedBy: text('replaced_by'),
    /** NTAG 424 keys, AES-256-GCM under the master key (iv ‖ tag ‖ ciphertext). */
    keysEnc: bytea('keys_enc'),
    lastCounter: integer('last_counter').notNull().default(0),
    batch: text('batch'),
    createdAt: created(),
  },
  (t) => [uniqueIndex('cards_printed').on(t.federationId, t.printedNumber), index('cards_wallet').on(t.walletId)],
);

export const ASSET_KINDS = ['federated_eur', 'local', 'gift', 'time', 'loyalty', 'membership'] as const;
export type AssetKind = (typeof ASSET_KINDS)[number];

export const assets = pgTable(
  'assets',
  {
    code: text('code').notNull(),
    federationId: text('federation_id').notNull(),
    kind: text('kind').$type<AssetKind>().notNull(),
    refundable: boolean('refundable').notNull(),
    /** Owning venue for venue assets (LOC/GIFT/LOYAL); null for federation-wide ones. */
    venueId: text('venue_id'),
  },
  (t) => [
    primaryKey({ columns: [t.federationId, t.code] }),
    check('assets_kind', sql`${t.kind} in ('federated_eur','local','gift','time','loyalty','membership')`),
  ],
);

export const accounts = pgTable(
  'accounts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    walletId: bigint('wallet_id', { mode: 'number' }),
    /** System account name, e.g. `funding:bar:cash`, `venue:bar`, `standin:bar`, `payout:bar`. */
    system: text('system'),
    asset: text('asset').notNull(),
    balance: money('balance').notNull().default(0),
    allowNegative: boolean('allow_negative').notNull().default(false),
  },
  (t) => [
    uniqueIndex('accounts_wallet_asset').on(t.walletId, t.asset),
    uniqueIndex('accounts_system_asset').on(t.system, t.asset),
    check('accounts_no_overdraft', sql`${t.allowNegative} or ${t.balance} >= 0`),
    check('accounts_owner', sql`(${t.walletId} is null) <> (${t.system} is null)`),
    check('accounts_negative_only_system', sql`not ${t.allowNegative} or ${t.system} is not null`),
  ],
);

/** One row per idempotent write (sync item or REST operation): its body hash and original result. */
export const operations = pgTable(
  'operations',
  {
    id: text('id').primaryKey(),
    venueId: text('venue_id'),
    kind: text('kind').notNull(),
    bodyHash: bytea('body_hash').notNull(),
    /** For voids: the voided operation (unique, a spend is voided once). */
    ref: text('ref'),
    result: jsonb('result').notNull(),
    createdAt: created(),
  },
  (t) => [uniqueIndex('operations_void_once').on(t.ref).where(sql`${t.kind} = 'void'`)],
);

export const transfers = pgTable(
  'transfers',
  {
    /** Equals the transfer's log sequence number: every transfer is one log entry. */
    id: bigint('id', { mode: 'number' }).primaryKey(),
    idempotencyKey: text('idempotency_key').notNull().unique(),
    bodyHash: bytea('body_hash').notNull(),
    debit: bigint('debit', { mode: 'number' }).notNull(),
    credit: bigint('credit', { mode: 'number' }).notNull(),
    asset: text('asset').notNull(),
    amount: money('amount').notNull(),
    kind: text('kind').notNull(),
    venueId: text('venue_id'),
    operationId: text('operation_id').notNull(),
    /** Epoch ms when the terminal/gateway/admin approved it. */
    at: bigint('at', { mode: 'number' }).notNull(),
    createdAt: created(),
  },
  (t) => [check('transfers_positive', sql`${t.amount} > 0`), check('transfers_two_accounts', sql`${t.debit} <> ${t.credit}`)],
);

export const logEntries = pgTable('log_entries', {
  seq: bigint('seq', { mode: 'number' }).primaryKey(),
  transferId: bigint('transfer_id', { mode: 'number' }).notNull(),
  entryHash: bytea('entry_hash').notNull(),
  chainHash: bytea('chain_hash').notNull(),
});

/** Single row; locked FOR UPDATE by every ledger write so the log never forks. */
export const logHead = pgTable(
  'log_head',
  {
    id: smallint('id').primaryKey(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    chainHash: bytea('chain_hash').notNull(),
  },
  (t) => [check('log_head_single', sql`${t.id} = 1`)],
);

export const syncBatches = pgTable(
  'sync_batches',
  {
    venueId: text('venue_id').notNull(),
    batchId: text('batch_id').notNull(),
    bodyHash: bytea('body_hash').notNull(),
    response: jsonb('response').notNull(),
    createdAt: created(),
  },
  (t) => [primaryKey({ columns: [t.venueId, t.batchId] })],
);

export const devices = pgTable('devices', {
  id: text('id').primaryKey(),
  venueId: text('venue_id')
    .notNull()
    .references(() => venues.id),
  board: text('board').notNull(),
  firmware: text('firmware').notNull(),
  /** Device HMAC key, AES-256-GCM under the master key. */
  keyEnc: bytea('key_enc').notNull(),
  revokedAt: timestamp('revoked_at', { withTimezone: true }),
  createdAt: created(),
});

export const ROLES = ['federation_admin', 'venue_admin', 'cashier', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

export const adminUsers = pgTable('admin_users', {
  id: text('id').primaryKey(),
  federationId: text('federation_id').notNull(),
  email: text('email').notNull().unique(),
  /** scrypt$N$r$p$salt$hash (base64). */
  passwordHash: text('password_hash').notNull(),
  role: text('role').$type<Role>().notNull(),
  /** Tenant of venue_admin/cashier; null for federation-wide roles. */
  venueId: text('venue_id'),
  createdAt: created(),
});

export const sessions = pgTable('sessions', {
  tokenHash: bytea('token_hash').primaryKey(),
  userId: text('user_id').notNull(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
});

export const refundRequests = pgTable('refund_requests', {
  id: text('id').primaryKey(),
  venueId: text('venue_id').notNull(),
  cardUid: text('card_uid').notNull(),
  walletId: bigint('wallet_id', { mode: 'number' }).notNull(),
  status: text('status').$type<'requested' | 'paid' | 'rejected'>().notNull(),
  quote: jsonb('quote').notNull(),
  requestedBy: text('requested_by').notNull(),
  approvedBy: text('approved_by'),
  payoutMethod: text('payout_method'),
  payoutReference: text('payout_reference'),
  /** What was actually paid out / voided / kept at approval, with the log sequence numbers. */
  payout: jsonb('payout'),
  createdAt: created(),
  decidedAt: timestamp('decided_at', { withTimezone: true }),
});

export const payments = pgTable('payments', {
  /** Provider session id (Stripe Checkout Session id). */
  id: text('id').primaryKey(),
  provider: text('provider').notNull(),
  venueId: text('venue_id').notNull(),
  cardUid: text('card_uid').notNull(),
  asset: text('asset').notNull(),
  amount: money('amount').notNull(),
  status: text('status').$type<'pending' | 'paid'>().notNull(),
  createdAt: created(),
});

/** Ed25519 key signing the transparency log's checkpoints; the secret is sealed under the master key. */
export const logKeys = pgTable('log_keys', {
  /** Hex of the first 8 bytes of SHA-256(public key). */
  id: text('id').primaryKey(),
  /** Origin line of the signed checkpoints (names the log). */
  origin: text('origin').notNull(),
  publicKey: bytea('public_key').notNull(),
  /** AES-256-GCM (iv ‖ tag ‖ ciphertext) of the 32-byte Ed25519 secret key, AAD `logkey:<id>`. */
  secretEnc: bytea('secret_enc').notNull(),
  active: boolean('active').notNull().default(true),
  createdAt: created(),
});

/** Signed checkpoints: (tree size, root, time) signed by the log key; one per tree size. */
export const checkpoints = pgTable('checkpoints', {
  treeSize: bigint('tree_size', { mode: 'number' }).primaryKey(),
  rootHash: bytea('root_hash').notNull(),
  /** Epoch ms. */
  timestamp: bigint('timestamp', { mode: 'number' }).notNull(),
  keyId: text('key_id').notNull(),
  signature: bytea('signature').notNull(),
  createdAt: created(),
});

/** Witness keys: a venue gateway's Ed25519 key that co-signs checkpoints. */
export const witnesses = pgTable(
  'witnesses',
  {
    keyId: text('key_id').primaryKey(),
    gatewayId: text('gateway_id').notNull(),
    venueId: text('venue_id').notNull(),
    publicKey: bytea('public_key').notNull(),
    createdAt: created(),
  },
  (t) => [index('witnesses_gateway').on(t.gatewayId)],
);

export const cosignatures = pgTable(
  'checkpoint_cosignatures',
  {
    treeSize: bigint('tree_size', { mode: 'number' }).notNull(),
    keyId: text('key_id').notNull(),
    /** Epoch ms chosen by the witness (part of the signed message). */
    timestamp: bigint('timestamp', { mode: 'number' }).notNull(),
    signature: bytea('signature').notNull(),
    createdAt: created(),
  },
  (t) => [primaryKey({ columns: [t.treeSize, t.keyId] })],
);

/** REST writes: Idempotency-Key → body hash and the original response (replayed verbatim). */
export const idempotentRequests = pgTable(
  'idempotent_requests',
  {
    /** Tenant scope of the key (venue id). */
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    route: text('route').notNull(),
    bodyHash: bytea('body_hash').notNull(),
    status: integer('status').notNull(),
    response: jsonb('response').notNull(),
    createdAt: created(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key] })],
);
