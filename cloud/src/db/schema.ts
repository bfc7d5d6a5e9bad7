// Ledger schema. Money columns are bigint minor units. Hot tables (transfers with their log entries,
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
  date,
  index,
  integer,
  json,
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
    /** Set when its card was returned and re-issued: no card answers for it any more. */
    closedAt: timestamp('closed_at', { withTimezone: true }),
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
  (t) => [
    uniqueIndex('cards_printed').on(t.federationId, t.printedNumber),
    index('cards_wallet').on(t.walletId),
  ],
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
    /** Replayed verbatim, never queried: json (text, checked) is cheaper to write than jsonb. */
    result: json('result').notNull(),
    createdAt: created(),
  },
  (t) => [uniqueIndex('operations_void_once').on(t.ref).where(sql`${t.kind} = 'void'`)],
);

export const transfers = pgTable(
  'transfers',
  {
    /** Equals the transfer's log sequence number: every transfer is one log entry. */
    id: bigint('id', { mode: 'number' }).primaryKey(),
    /**
     * `<operation id>#<n>`: unique by construction (operations.id is the primary key), so no
     * unique index is written per row; the operation row carries the body hash.
     */
    idempotencyKey: text('idempotency_key').notNull(),
    debit: bigint('debit', { mode: 'number' }).notNull(),
    credit: bigint('credit', { mode: 'number' }).notNull(),
    asset: text('asset').notNull(),
    amount: money('amount').notNull(),
    kind: text('kind').notNull(),
    venueId: text('venue_id'),
    operationId: text('operation_id').notNull(),
    /** Epoch ms when the terminal/gateway/admin approved it. */
    at: bigint('at', { mode: 'number' }).notNull(),
    /**
     * The transfer's transparency log entry (seq = id): SHA-256 of its canonical entry, and the
     * chain hash over the previous entry's. Kept on the transfer row: one row written per
     * transfer, not two (the `log_entries` view shows them as the log's own table).
     */
    entryHash: bytea('entry_hash').notNull(),
    chainHash: bytea('chain_hash').notNull(),
    createdAt: created(),
  },
  (t) => [
    check('transfers_positive', sql`${t.amount} > 0`),
    check('transfers_two_accounts', sql`${t.debit} <> ${t.credit}`),
  ],
);

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
  /** Our reference sent to the provider (derived from the request's Idempotency-Key). */
  reference: text('reference').unique(),
  /** Checkout page the holder pays on. */
  url: text('url'),
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

/**
 * The transparency log's Merkle tree from blocks of 32 entries up (transparency/log-store.ts): the
 * RFC 6962 hash of each complete block (entries block·32+1 .. block·32+32), so a restart rebuilds
 * the tree from these instead of hashing every entry again. Written by whichever process completes
 * a block first; proofs check the entries they read back against it, and every checkpoint signing
 * checks the tree against the last signed root.
 */
export const logBlocks = pgTable('log_blocks', {
  block: bigint('block', { mode: 'number' }).primaryKey(),
  hash: bytea('hash').notNull(),
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

// ---------------------------------------------------------------------------------------------
// Fleet and rental (src/rental/). The fleet belongs to a federation; venues of that federation rent
// kits (boxes of terminals) for date ranges. No double booking: rental_allocations carries an
// exclusion constraint (migration 'rental_no_overlap', hand-written: drizzle-kit has no syntax for
// it) over (int4range(device_no, device_no, '[]'), period) — built-in GiST range opclasses, so it
// needs no btree_gist extension and the same migration runs on PGlite and PostgreSQL.

const daterange = customType<{ data: string; driverData: string }>({ dataType: () => 'daterange' });

export const FLEET_STATUSES = ['available', 'rented', 'repair', 'retired'] as const;
export type FleetStatus = (typeof FLEET_STATUSES)[number];

export const rentalKits = pgTable(
  'rental_kits',
  {
    id: text('id').primaryKey(),
    federationId: text('federation_id')
      .notNull()
      .references(() => federations.id),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    currency: text('currency').notNull().default('EUR'),
    /** Minor units per rental day. */
    pricePerDay: money('price_per_day').notNull(),
    /** Minor units, received at checkout, settled at return. */
    deposit: money('deposit').notNull(),
    active: boolean('active').notNull().default(true),
    createdAt: created(),
  },
  (t) => [check('rental_kits_amounts', sql`${t.pricePerDay} >= 0 and ${t.deposit} >= 0`)],
);

/** Inventory: one row per physical terminal owned by the federation's fleet. */
export const fleetDevices = pgTable(
  'fleet_devices',
  {
    /** Device id, the same as in the device registry (`devices.id`) once provisioned. */
    id: text('id').primaryKey(),
    /** Small integer identity used by the bookings' exclusion constraint. */
    no: integer('no').notNull().generatedAlwaysAsIdentity(),
    federationId: text('federation_id')
      .notNull()
      .references(() => federations.id),
    board: text('board').notNull(),
    serial: text('serial').notNull(),
    firmwareVersion: text('firmware_version').notNull(),
    status: text('status').$type<FleetStatus>().notNull().default('available'),
    location: text('location').notNull().default('warehouse'),
    kitId: text('kit_id').references(() => rentalKits.id),
    /** Set at return: the terminal erases its storage at next boot, then acknowledges. */
    wipePending: boolean('wipe_pending').notNull().default(false),
    createdAt: created(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('fleet_devices_no').on(t.no),
    uniqueIndex('fleet_devices_serial').on(t.federationId, t.serial),
    index('fleet_devices_kit').on(t.kitId),
    check('fleet_devices_status', sql`${t.status} in ('available','rented','repair','retired')`),
  ],
);

export const BOOKING_STATUSES = ['booked', 'checked_out', 'returned', 'cancelled'] as const;
export type BookingStatus = (typeof BOOKING_STATUSES)[number];

export const rentalBookings = pgTable(
  'rental_bookings',
  {
    id: text('id').primaryKey(),
    federationId: text('federation_id').notNull(),
    kitId: text('kit_id')
      .notNull()
      .references(() => rentalKits.id),
    venueId: text('venue_id')
      .notNull()
      .references(() => venues.id),
    /** First and last rental day (inclusive). */
    startDate: date('start_date', { mode: 'string' }).notNull(),
    endDate: date('end_date', { mode: 'string' }).notNull(),
    days: integer('days').notNull(),
    currency: text('currency').notNull(),
    pricePerDay: money('price_per_day').notNull(),
    rentalAmount: money('rental_amount').notNull(),
    depositAmount: money('deposit_amount').notNull(),
    status: text('status').$type<BookingStatus>().notNull().default('booked'),
    contact: text('contact').notNull().default(''),
    note: text('note').notNull().default(''),
    createdBy: text('created_by').notNull(),
    createdAt: created(),
    checkedOutAt: timestamp('checked_out_at', { withTimezone: true }),
    returnedAt: timestamp('returned_at', { withTimezone: true }),
    cancelledAt: timestamp('cancelled_at', { withTimezone: true }),
  },
  (t) => [
    index('rental_bookings_kit').on(t.kitId, t.startDate),
    index('rental_bookings_venue').on(t.venueId),
    check(
      'rental_bookings_dates',
      sql`${t.endDate} >= ${t.startDate} and ${t.days} = ${t.endDate} - ${t.startDate} + 1`,
    ),
    check('rental_bookings_status', sql`${t.status} in ('booked','checked_out','returned','cancelled')`),
  ],
);

/** The devices a booking holds for its period; `active` rows may not overlap per device. */
export const rentalAllocations = pgTable(
  'rental_allocations',
  {
    bookingId: text('booking_id')
      .notNull()
      .references(() => rentalBookings.id),
    deviceId: text('device_id')
      .notNull()
      .references(() => fleetDevices.id),
    deviceNo: integer('device_no').notNull(),
    /** [start_date, end_date + 1) */
    period: daterange('period').notNull(),
    active: boolean('active').notNull().default(true),
    /** At return: ok, damaged or missing, with a note and a charge (minor units). */
    condition: text('condition').$type<'ok' | 'damaged' | 'missing'>(),
    damageNote: text('damage_note'),
    damageCharge: money('damage_charge').notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.bookingId, t.deviceId] }),
    index('rental_allocations_device').on(t.deviceId),
  ],
);

/** Deposit movements: received at checkout, retained (damage) and refunded at return. */
export const rentalDeposits = pgTable(
  'rental_deposits',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    bookingId: text('booking_id')
      .notNull()
      .references(() => rentalBookings.id),
    kind: text('kind').$type<'received' | 'retained' | 'refunded'>().notNull(),
    amount: money('amount').notNull(),
    method: text('method').notNull().default(''),
    reference: text('reference').notNull().default(''),
    note: text('note').notNull().default(''),
    createdBy: text('created_by').notNull(),
    createdAt: created(),
  },
  (t) => [
    index('rental_deposits_booking').on(t.bookingId),
    check('rental_deposits_kind', sql`${t.kind} in ('received','retained','refunded')`),
    check('rental_deposits_amount', sql`${t.amount} >= 0`),
  ],
);

/** Final invoices, frozen at return (numbered once); before return the PDF is a pro forma. */
export const rentalInvoices = pgTable('rental_invoices', {
  bookingId: text('booking_id')
    .primaryKey()
    .references(() => rentalBookings.id),
  number: integer('number').notNull().generatedAlwaysAsIdentity(),
  /** Lines and totals as issued. */
  content: jsonb('content').notNull(),
  issuedAt: created(),
});

// ---------------------------------------------------------------------------------------------
// Dormant wallets (src/dormancy/): a policy per federation, the events of each dormancy cycle
// (reminders and gradual reclaims; unique per cycle and step, so the job is idempotent) and an
// email outbox drained by an SMTP sender.

export const dormancyPolicies = pgTable(
  'dormancy_policies',
  {
    federationId: text('federation_id')
      .primaryKey()
      .references(() => federations.id),
    /** Days without activity before a wallet is dormant (reclaim may start). */
    inactivityDays: integer('inactivity_days').notNull(),
    /** Reminders sent this many days before dormancy (e.g. [60, 30, 7]). */
    reminderDays: jsonb('reminder_days').$type<number[]>().notNull(),
    /** Length of one reclaim period (days). */
    periodDays: integer('period_days').notNull(),
    /** Percent of the balance at dormancy start reclaimed per period. */
    ratePercent: integer('rate_percent').notNull(),
    /** Minor units never reclaimed. */
    floor: money('floor').notNull().default(0),
    /** The asset reclaimed (federated EUR by default). */
    asset: text('asset').notNull().default('EUR'),
    createdAt: created(),
  },
  (t) => [
    check(
      'dormancy_policies_values',
      sql`${t.inactivityDays} > 0 and ${t.periodDays} > 0 and ${t.ratePercent} between 1 and 100 and ${t.floor} >= 0`,
    ),
  ],
);

export const dormancyEvents = pgTable(
  'dormancy_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    walletId: bigint('wallet_id', { mode: 'number' }).notNull(),
    /** Epoch ms of the last activity that started this cycle (new activity = new cycle). */
    since: bigint('since', { mode: 'number' }).notNull(),
    kind: text('kind').$type<'reminder' | 'reclaim'>().notNull(),
    /** Reminder index in the policy, or reclaim period number (0, 1, ...). */
    step: integer('step').notNull(),
    asset: text('asset'),
    amount: money('amount').notNull().default(0),
    logSeqs: jsonb('log_seqs').$type<number[]>().notNull().default([]),
    /** Epoch ms of the job run. */
    at: bigint('at', { mode: 'number' }).notNull(),
  },
  (t) => [uniqueIndex('dormancy_events_step').on(t.walletId, t.since, t.kind, t.step)],
);

export const emailOutbox = pgTable(
  'email_outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    to: text('to_address').notNull(),
    subject: text('subject').notNull(),
    body: text('body').notNull(),
    kind: text('kind').notNull(),
    walletId: bigint('wallet_id', { mode: 'number' }),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    createdAt: created(),
  },
  (t) => [
    index('email_outbox_pending').on(t.id).where(sql`${t.sentAt} is null`),
    // The retention purge deletes sent mails by age (retention/purge.ts).
    index('email_outbox_sent').on(t.sentAt).where(sql`${t.sentAt} is not null`),
  ],
);

/** Payment provider webhook events already processed (a replayed event id changes nothing). */
export const paymentEvents = pgTable(
  'payment_events',
  {
    provider: text('provider').notNull(),
    eventId: text('event_id').notNull(),
    sessionId: text('session_id'),
    /** What the event did: 'credited', 'ignored'. */
    outcome: text('outcome').notNull(),
    receivedAt: created(),
  },
  (t) => [primaryKey({ columns: [t.provider, t.eventId] })],
);

// ---------------------------------------------------------------------------------------------
// Wallet lifecycle extras (src/ledger/reissue.ts, fund.ts, time-vouchers.ts).

/** A returned card re-issued with a clean wallet: the closed wallet, what was paid/voided/kept. */
export const cardReissues = pgTable(
  'card_reissues',
  {
    id: text('id').primaryKey(),
    venueId: text('venue_id').notNull(),
    cardUid: text('card_uid').notNull(),
    oldWalletId: bigint('old_wallet_id', { mode: 'number' }).notNull(),
    newWalletId: bigint('new_wallet_id', { mode: 'number' }).notNull(),
    /** The paid refund record of the payout (null when nothing was refundable). */
    refundId: text('refund_id'),
    /** Quote as executed (payout / voided / kept) with the log sequence numbers. */
    outcome: jsonb('outcome').notNull(),
    by: text('by').notNull(),
    createdAt: created(),
  },
  // The closed-wallets listing filters by venue (newest first) and looks a wallet up by id.
  (t) => [
    index('card_reissues_card').on(t.cardUid),
    index('card_reissues_venue').on(t.venueId, t.createdAt),
    index('card_reissues_old_wallet').on(t.oldWalletId),
  ],
);

/** Disbursements out of the cooperative fund (the transfer is in the log; the memo is not). */
export const fundDisbursements = pgTable(
  'fund_disbursements',
  {
    id: text('id').primaryKey(),
    federationId: text('federation_id').notNull(),
    venueId: text('venue_id').notNull(),
    asset: text('asset').notNull(),
    amount: money('amount').notNull(),
    purpose: text('purpose').$type<'member-venue' | 'new-venue'>().notNull(),
    memo: text('memo').notNull(),
    logSeq: bigint('log_seq', { mode: 'number' }).notNull(),
    by: text('by').notNull(),
    createdAt: created(),
  },
  (t) => [
    index('fund_disbursements_fed').on(t.federationId, t.createdAt),
    check('fund_disbursements_amount', sql`${t.amount} > 0`),
    check('fund_disbursements_purpose', sql`${t.purpose} in ('member-venue','new-venue')`),
  ],
);

/** Time currency turned into vouchers at a venue (the per-period cap sums `units` per wallet). */
export const timeVoucherConversions = pgTable(
  'time_voucher_conversions',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    venueId: text('venue_id').notNull(),
    walletId: bigint('wallet_id', { mode: 'number' }).notNull(),
    units: integer('units').notNull(),
    minutes: integer('minutes').notNull(),
    asset: text('asset').notNull(),
    amount: money('amount').notNull(),
    logSeqs: jsonb('log_seqs').$type<number[]>().notNull(),
    /** Epoch ms. */
    at: bigint('at', { mode: 'number' }).notNull(),
  },
  (t) => [index('time_voucher_conversions_wallet').on(t.walletId, t.venueId, t.at)],
);
