// Membership tables (products, periods, members-only events, provider checkouts) and the holder
// pages' tables (email login links, sessions, guardian invitations and grants). Listed in
// drizzle.config.ts next to src/db/schema.ts; imports nothing but drizzle-orm.
//
// One source of membership truth: `membership_periods`. A wallet is a member of a venue at time t
// when one of its periods, of a product of that venue or of the venue's federation, has
// starts_at <= t < least(expires_at, cancelled_at) and is not voided (status.ts: periodEnd). The
// badge asset credited at purchase is a keepsake (one unit per period bought, taken back when an
// admin cancels the period): it never decides membership.
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  check,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });
const money = (name: string) => bigint(name, { mode: 'number' });
const tstz = (name: string) => timestamp(name, { withTimezone: true });
const created = () => tstz('created_at').notNull().defaultNow();

export const PRICING_KINDS = ['fixed', 'free', 'sliding'] as const;
export type PricingKind = (typeof PRICING_KINDS)[number];

export const membershipProducts = pgTable(
  'membership_products',
  {
    id: text('id').primaryKey(),
    federationId: text('federation_id').notNull(),
    /** The venue selling it (receives the fee). */
    venueId: text('venue_id').notNull(),
    /** 'venue': member of the seller only; 'federation': member at every venue of the federation. */
    scope: text('scope').$type<'venue' | 'federation'>().notNull(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    pricing: text('pricing').$type<PricingKind>().notNull(),
    /** fixed: the fee; free: the suggested price. */
    price: money('price').notNull().default(0),
    /** free: the lowest accepted price. */
    minPrice: money('min_price').notNull().default(0),
    /** sliding: [{ id, label, maxIncome (yearly, minor units, null = above), price }]. */
    brackets:
      jsonb('brackets').$type<{ id: string; label: string; maxIncome: number | null; price: number }[]>(),
    /** Asset the fee is paid in. */
    asset: text('asset').notNull().default('EUR'),
    /** Badge asset credited (kind 'membership'). */
    badgeAsset: text('badge_asset').notNull(),
    durationMonths: integer('duration_months').notNull().default(12),
    /** Renewal reminder emails, days before expiry (e.g. [30, 7]). */
    reminderDays: jsonb('reminder_days').$type<number[]>().notNull().default([30, 7]),
    active: integer('active').notNull().default(1),
    createdAt: created(),
  },
  (t) => [
    check('membership_products_scope', sql`${t.scope} in ('venue','federation')`),
    check('membership_products_pricing', sql`${t.pricing} in ('fixed','free','sliding')`),
    check(
      'membership_products_values',
      sql`${t.price} >= 0 and ${t.minPrice} >= 0 and ${t.durationMonths} between 1 and 120`,
    ),
    index('membership_products_venue').on(t.venueId),
  ],
);

export const membershipPeriods = pgTable(
  'membership_periods',
  {
    id: text('id').primaryKey(),
    productId: text('product_id').notNull(),
    walletId: bigint('wallet_id', { mode: 'number' }).notNull(),
    startsAt: tstz('starts_at').notNull(),
    expiresAt: tstz('expires_at').notNull(),
    amount: money('amount').notNull(),
    asset: text('asset').notNull(),
    /** sliding scale: the declared income bracket. */
    bracket: text('bracket'),
    /** 'wallet' or the provider's name. */
    paidBy: text('paid_by').notNull(),
    operationId: text('operation_id'),
    /** The period this one renews (null for a first membership). */
    renews: text('renews'),
    /** Reminder steps already queued (index in the product's reminderDays). */
    remindedSteps: jsonb('reminded_steps').$type<number[]>().notNull().default([]),
    voidedAt: tstz('voided_at'),
    /** The holder turned renewal reminders off (null: reminders on). */
    remindersOffAt: tstz('reminders_off_at'),
    /** Cancelled by an admin: the period counts up to this instant only (cancel.ts). */
    cancelledAt: tstz('cancelled_at'),
    cancelReason: text('cancel_reason'),
    cancelledBy: text('cancelled_by'),
    /** Part of the fee credited back at cancellation (minor units of `asset`). */
    cancelRefund: money('cancel_refund').notNull().default(0),
    cancelOperationId: text('cancel_operation_id'),
    createdBy: text('created_by').notNull(),
    createdAt: created(),
  },
  (t) => [
    check('membership_periods_dates', sql`${t.expiresAt} > ${t.startsAt}`),
    check(
      'membership_periods_cancel_refund',
      sql`${t.cancelRefund} >= 0 and ${t.cancelRefund} <= ${t.amount}`,
    ),
    index('membership_periods_wallet').on(t.walletId, t.expiresAt),
    index('membership_periods_expiry').on(t.expiresAt),
  ],
);

/** Events only members may buy tickets for and enter (the rule travels to the gateways). */
export const membersOnlyEvents = pgTable('members_only_events', {
  eventId: text('event_id').primaryKey(),
  venueId: text('venue_id').notNull(),
  createdAt: created(),
});

/** A membership paid through the payment provider: the checkout tops the wallet up, then settles. */
export const membershipCheckouts = pgTable(
  'membership_checkouts',
  {
    id: text('id').primaryKey(),
    /** The provider's session id (= payments.id). */
    sessionId: text('session_id').notNull().unique(),
    productId: text('product_id').notNull(),
    walletId: bigint('wallet_id', { mode: 'number' }).notNull(),
    cardUid: text('card_uid').notNull(),
    amount: money('amount').notNull(),
    bracket: text('bracket'),
    status: text('status').$type<'pending' | 'settled'>().notNull().default('pending'),
    periodId: text('period_id'),
    createdBy: text('created_by').notNull(),
    createdAt: created(),
  },
  (t) => [index('membership_checkouts_pending').on(t.status).where(sql`${t.status} = 'pending'`)],
);

// ---------------------------------------------------------------------------------------------
// Holder pages: the identity is an email address (people.email, or a guardian's address).

/** Emailed login links and guardian invitations: single use, expiring, signed. */
export const holderLinks = pgTable('holder_links', {
  id: text('id').primaryKey(),
  kind: text('kind').$type<'login' | 'invite'>().notNull(),
  email: text('email').notNull(),
  /** invite: the wallet the guardian will manage, and who invited. */
  walletId: bigint('wallet_id', { mode: 'number' }),
  invitedBy: text('invited_by'),
  expiresAt: tstz('expires_at').notNull(),
  usedAt: tstz('used_at'),
  createdAt: created(),
});

export const holderSessions = pgTable(
  'holder_sessions',
  {
    tokenHash: bytea('token_hash').primaryKey(),
    email: text('email').notNull(),
    expiresAt: tstz('expires_at').notNull(),
    createdAt: created(),
  },
  (t) => [index('holder_sessions_email').on(t.email)],
);

export const guardianGrants = pgTable(
  'guardian_grants',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    walletId: bigint('wallet_id', { mode: 'number' }).notNull(),
    email: text('email').notNull(),
    grantedBy: text('granted_by').notNull(),
    revokedAt: tstz('revoked_at'),
    createdAt: created(),
  },
  (t) => [uniqueIndex('guardian_grants_active').on(t.walletId, t.email).where(sql`${t.revokedAt} is null`)],
);
