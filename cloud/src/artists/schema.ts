// Artists' spaces: artist accounts and profiles, their availability, the events they play
// (line-ups of agenda events) and their proposals to venues with a message thread.
// Kept apart from src/db/schema.ts (listed in drizzle.config.ts). Imports nothing but drizzle-orm,
// so drizzle-kit loads it as is.
//
// Artists sign in with their own accounts (same scrypt hashing as admin users), not as admin
// users: an artist belongs to no venue and no federation, and must never pass a staff check.
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  check,
  customType,
  date,
  index,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });
const tstz = (name: string) => timestamp(name, { withTimezone: true });
const created = () => tstz('created_at').notNull().defaultNow();

export const PROPOSAL_STATUSES = ['sent', 'seen', 'accepted', 'declined'] as const;
export type ProposalStatus = (typeof PROPOSAL_STATUSES)[number];

export const artists = pgTable(
  'artists',
  {
    id: text('id').primaryKey(),
    email: text('email').notNull(),
    /** scrypt$N$r$p$salt$hash (base64), as admin users. */
    passwordHash: text('password_hash').notNull(),
    name: text('name').notNull(),
    bio: text('bio').notNull().default(''),
    /** [{ label, url }], http(s) only. */
    mediaLinks: jsonb('media_links').$type<{ label: string; url: string }[]>().notNull().default([]),
    techRider: text('tech_rider').notNull().default(''),
    imageUrl: text('image_url'),
    /** Lower-case tags (genres, formats) organizers search by. */
    tags: text('tags').array().notNull().default(sql`'{}'::text[]`),
    /** Free-text region (lower-cased copy in region_key for search). */
    region: text('region').notNull().default(''),
    regionKey: text('region_key').notNull().default(''),
    /** Null until the artist followed the emailed link (accounts.ts): no login, nothing public. */
    emailVerifiedAt: tstz('email_verified_at'),
    createdAt: created(),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('artists_email').on(t.email),
    index('artists_tags').using('gin', t.tags),
    index('artists_region').on(t.regionKey),
  ],
);

export const artistSessions = pgTable('artist_sessions', {
  tokenHash: bytea('token_hash').primaryKey(),
  artistId: text('artist_id')
    .notNull()
    .references(() => artists.id),
  expiresAt: tstz('expires_at').notNull(),
});

/**
 * Emailed verification links of unverified accounts: one row per link sent (sign-up or resend),
 * the token stored only as its SHA-256. Each row carries the password and name of the sign-up
 * that asked for it; they become the account's only when that link is used, so an impostor's
 * earlier (or later) sign-up for the same address never decides the real owner's password.
 */
export const artistEmailVerifications = pgTable(
  'artist_email_verifications',
  {
    tokenHash: bytea('token_hash').primaryKey(),
    artistId: text('artist_id')
      .notNull()
      .references(() => artists.id),
    /** scrypt hash of the password chosen at this sign-up. */
    passwordHash: text('password_hash').notNull(),
    name: text('name').notNull(),
    expiresAt: tstz('expires_at').notNull(),
    usedAt: tstz('used_at'),
    createdAt: created(),
  },
  (t) => [index('artist_email_verifications_artist').on(t.artistId, t.createdAt)],
);

/** The profile picture, uploaded (size and type checked on the way in). */
export const artistImages = pgTable('artist_images', {
  artistId: text('artist_id')
    .primaryKey()
    .references(() => artists.id),
  contentType: text('content_type').notNull(),
  bytes: bytea('bytes').notNull(),
  updatedAt: tstz('updated_at').notNull().defaultNow(),
});

/** Date ranges (inclusive) the artist is available for bookings. */
export const artistAvailability = pgTable(
  'artist_availability',
  {
    artistId: text('artist_id')
      .notNull()
      .references(() => artists.id),
    fromDate: date('from_date', { mode: 'string' }).notNull(),
    toDate: date('to_date', { mode: 'string' }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.artistId, t.fromDate] }),
    check('artist_availability_range', sql`${t.toDate} >= ${t.fromDate}`),
  ],
);

/** Line-up of an agenda event (set by the venue's admins). */
export const eventArtists = pgTable(
  'event_artists',
  {
    eventId: text('event_id').notNull(),
    artistId: text('artist_id')
      .notNull()
      .references(() => artists.id),
    position: smallint('position').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.eventId, t.artistId] }), index('event_artists_artist').on(t.artistId)],
);

export const artistProposals = pgTable(
  'artist_proposals',
  {
    id: text('id').primaryKey(),
    artistId: text('artist_id')
      .notNull()
      .references(() => artists.id),
    venueId: text('venue_id').notNull(),
    status: text('status').$type<ProposalStatus>().notNull().default('sent'),
    message: text('message').notNull(),
    /** [{ from, to }] ISO dates the artist proposes. */
    dates: jsonb('dates').$type<{ from: string; to: string }[]>().notNull(),
    /** Fee expectation in minor units of `feeCurrency` (null: open). */
    feeAmount: bigint('fee_amount', { mode: 'number' }),
    feeCurrency: text('fee_currency').notNull().default('EUR'),
    /** Artist's Idempotency-Key: a re-sent form creates no second proposal. */
    requestKey: text('request_key'),
    createdAt: created(),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
    seenAt: tstz('seen_at'),
    decidedAt: tstz('decided_at'),
  },
  (t) => [
    index('artist_proposals_venue').on(t.venueId, t.createdAt),
    index('artist_proposals_artist').on(t.artistId, t.createdAt),
    uniqueIndex('artist_proposals_request').on(t.artistId, t.requestKey),
    check('artist_proposals_status', sql`${t.status} in ('sent','seen','accepted','declined')`),
    check('artist_proposals_fee', sql`${t.feeAmount} is null or ${t.feeAmount} >= 0`),
  ],
);

export const artistProposalMessages = pgTable(
  'artist_proposal_messages',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    proposalId: text('proposal_id')
      .notNull()
      .references(() => artistProposals.id),
    author: text('author').$type<'artist' | 'venue'>().notNull(),
    /** Artist id or admin user id. */
    authorId: text('author_id').notNull(),
    body: text('body').notNull(),
    createdAt: created(),
  },
  (t) => [
    index('artist_proposal_messages_proposal').on(t.proposalId, t.id),
    check('artist_proposal_messages_author', sql`${t.author} in ('artist','venue')`),
  ],
);
