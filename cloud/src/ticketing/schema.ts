// Ticketing tables (events, ticket categories, orders, tickets, door scans, ticket signing keys).
// Kept apart from src/db/schema.ts (listed next to it in drizzle.config.ts). Imports nothing but
// drizzle-orm, so drizzle-kit loads it as is.
//
// Overselling is impossible by construction: `sold` counters are raised by conditional UPDATEs
// (`sold + n <= capacity`) and CHECK constraints repeat the rule, per category and per event.
// A ticket is admitted once: `tickets.checked_in_at` is set by a conditional UPDATE
// (`WHERE checked_in_at IS NULL`), whichever door or upload comes first.
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  customType,
  doublePrecision,
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
const tstz = (name: string) => timestamp(name, { withTimezone: true });
const created = () => tstz('created_at').notNull().defaultNow();

export const AUDIENCES = ['full', 'reduced', 'member'] as const;
export type Audience = (typeof AUDIENCES)[number];
export const TICKET_STATUSES = ['valid', 'refunded', 'revoked'] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];

export const ticketEvents = pgTable(
  'ticket_events',
  {
    id: text('id').primaryKey(),
    venueId: text('venue_id').notNull(),
    title: text('title').notNull(),
    description: text('description').notNull().default(''),
    imageUrl: text('image_url'),
    tags: text('tags').array().notNull().default(sql`'{}'::text[]`),
    /** Free-text address shown on the agenda. */
    location: text('location').notNull().default(''),
    latitude: doublePrecision('latitude'),
    longitude: doublePrecision('longitude'),
    startsAt: tstz('starts_at').notNull(),
    endsAt: tstz('ends_at').notNull(),
    /** IANA zone the venue shows times in. */
    timezone: text('timezone').notNull().default('Europe/Paris'),
    /** Seats for the whole event (null = only the categories limit). */
    capacity: integer('capacity'),
    sold: integer('sold').notNull().default(0),
    /** Asset tickets are paid in from the wallet. */
    asset: text('asset').notNull().default('EUR'),
    /** Private events never leave their venue (not on the agenda, not in feeds). */
    visibility: text('visibility').$type<'public' | 'private'>().notNull().default('public'),
    status: text('status').$type<'scheduled' | 'cancelled'>().notNull().default('scheduled'),
    /** Staff other than admins may refund a ticket until this many hours before the start (null: admins only). */
    refundUntilHours: integer('refund_until_hours'),
    /** Tickets admit between these instants (signed into every ticket). */
    validFrom: tstz('valid_from').notNull(),
    validUntil: tstz('valid_until').notNull(),
    createdAt: created(),
    cancelledAt: tstz('cancelled_at'),
  },
  (t) => [
    index('ticket_events_venue').on(t.venueId, t.startsAt),
    index('ticket_events_public').on(t.endsAt).where(sql`${t.visibility} = 'public'`),
    index('ticket_events_tags').using('gin', t.tags),
    // Agenda pages (agenda/query.ts): upcoming public events in date order, the longest public
    // event (a lower bound on starts_at for "ends after X"), and a spatial index for distance.
    index('ticket_events_agenda').on(t.startsAt, t.id).where(sql`${t.visibility} = 'public'`),
    index('ticket_events_duration')
      .on(sql`(${t.endsAt} - ${t.startsAt})`)
      .where(sql`${t.visibility} = 'public'`),
    index('ticket_events_place')
      .using('gist', sql`point(${t.longitude}, ${t.latitude})`)
      .where(sql`${t.visibility} = 'public' and ${t.latitude} is not null and ${t.longitude} is not null`),
    check(
      'ticket_events_capacity',
      sql`${t.capacity} is null or (${t.capacity} >= 0 and ${t.sold} <= ${t.capacity})`,
    ),
    check('ticket_events_sold', sql`${t.sold} >= 0`),
    check('ticket_events_dates', sql`${t.endsAt} >= ${t.startsAt} and ${t.validUntil} > ${t.validFrom}`),
    check('ticket_events_visibility', sql`${t.visibility} in ('public','private')`),
    check('ticket_events_status', sql`${t.status} in ('scheduled','cancelled')`),
  ],
);

export const ticketCategories = pgTable(
  'ticket_categories',
  {
    id: text('id').primaryKey(),
    eventId: text('event_id')
      .notNull()
      .references(() => ticketEvents.id),
    /** Small number of the category within its event (signed into tickets). */
    no: smallint('no').notNull(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    capacity: integer('capacity'),
    sold: integer('sold').notNull().default(0),
    /** Prices per audience in minor units of the event's asset; null = not sold to that audience. */
    priceFull: money('price_full').notNull(),
    priceReduced: money('price_reduced'),
    priceMember: money('price_member'),
  },
  (t) => [
    uniqueIndex('ticket_categories_no').on(t.eventId, t.no),
    check(
      'ticket_categories_capacity',
      sql`${t.capacity} is null or (${t.capacity} >= 0 and ${t.sold} <= ${t.capacity})`,
    ),
    check('ticket_categories_sold', sql`${t.sold} >= 0`),
    check(
      'ticket_categories_prices',
      sql`${t.priceFull} >= 0 and coalesce(${t.priceReduced}, 0) >= 0 and coalesce(${t.priceMember}, 0) >= 0`,
    ),
  ],
);

export const ticketOrders = pgTable(
  'ticket_orders',
  {
    id: text('id').primaryKey(),
    venueId: text('venue_id').notNull(),
    eventId: text('event_id').notNull(),
    walletId: bigint('wallet_id', { mode: 'number' }).notNull(),
    cardUid: text('card_uid'),
    personId: text('person_id'),
    asset: text('asset').notNull(),
    total: money('total').notNull(),
    /** Ledger operation that paid it (null for free orders). */
    operationId: text('operation_id'),
    createdBy: text('created_by').notNull(),
    createdAt: created(),
  },
  (t) => [index('ticket_orders_event').on(t.eventId), index('ticket_orders_wallet').on(t.walletId)],
);

export const tickets = pgTable(
  'tickets',
  {
    id: text('id').primaryKey(),
    orderId: text('order_id').notNull(),
    eventId: text('event_id').notNull(),
    venueId: text('venue_id').notNull(),
    categoryId: text('category_id').notNull(),
    categoryNo: smallint('category_no').notNull(),
    audience: text('audience').$type<Audience>().notNull(),
    price: money('price').notNull(),
    asset: text('asset').notNull(),
    walletId: bigint('wallet_id', { mode: 'number' }).notNull(),
    status: text('status').$type<TicketStatus>().notNull().default('valid'),
    keyId: text('key_id').notNull(),
    /** The signed compact payload (base64url), i.e. the QR content. */
    token: text('token').notNull(),
    validFrom: tstz('valid_from').notNull(),
    validUntil: tstz('valid_until').notNull(),
    /** Card-bound ticket: tapping this NFC card at the door admits it (the paying card, or an explicit binding). */
    cardUid: text('card_uid'),
    checkedInAt: tstz('checked_in_at'),
    checkedInDoor: text('checked_in_door'),
    checkinNonce: text('checkin_nonce'),
    refundedAt: tstz('refunded_at'),
    refundOperation: text('refund_operation'),
    createdAt: created(),
    /** Bumped on every change: door lists sync incrementally from it. */
    updatedAt: tstz('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('tickets_event').on(t.eventId, t.updatedAt),
    index('tickets_order').on(t.orderId),
    index('tickets_wallet').on(t.walletId),
    check('tickets_status', sql`${t.status} in ('valid','refunded','revoked')`),
    check('tickets_audience', sql`${t.audience} in ('full','reduced','member')`),
  ],
);

/** Every door scan, keyed by the terminal's nonce: uploads (also late, offline ones) are idempotent. */
export const ticketCheckins = pgTable(
  'ticket_checkins',
  {
    venueId: text('venue_id').notNull(),
    nonce: text('nonce').notNull(),
    bodyHash: bytea('body_hash').notNull(),
    ticketId: text('ticket_id'),
    eventId: text('event_id'),
    door: text('door').notNull(),
    scannedAt: tstz('scanned_at').notNull(),
    admitted: boolean('admitted').notNull().default(false),
    /** The answer given (replayed verbatim for the same nonce). */
    result: jsonb('result').notNull(),
    createdAt: created(),
  },
  (t) => [
    primaryKey({ columns: [t.venueId, t.nonce] }),
    index('ticket_checkins_event').on(t.eventId, t.door),
  ],
);

/** Ed25519 keys signing tickets. Retired keys still verify (rotation); the secret is sealed. */
export const ticketKeys = pgTable('ticket_keys', {
  /** Hex of the first 4 bytes of SHA-256(public key): the key id carried in every ticket. */
  id: text('id').primaryKey(),
  publicKey: bytea('public_key').notNull(),
  /** AES-256-GCM (iv ‖ tag ‖ ciphertext) of the 32-byte secret, AAD `ticketkey:<id>`. */
  secretEnc: bytea('secret_enc').notNull(),
  active: boolean('active').notNull().default(true),
  createdAt: created(),
  retiredAt: tstz('retired_at'),
});
