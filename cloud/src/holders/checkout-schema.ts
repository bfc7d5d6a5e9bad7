// Tickets paid by bank card through the payment provider: what a provider session is for. The
// money itself is an ordinary `payments` row (credited once by the provider webhook); settling
// then places the order from the wallet (memberships/provider-purchase.ts, shared with memberships).
// Listed in drizzle.config.ts; imports nothing but drizzle-orm.
import { sql } from 'drizzle-orm';
import { bigint, index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

export const ticketCheckouts = pgTable(
  'ticket_checkouts',
  {
    id: text('id').primaryKey(),
    /** The provider's session id (= payments.id). */
    sessionId: text('session_id').notNull().unique(),
    venueId: text('venue_id').notNull(),
    eventId: text('event_id').notNull(),
    walletId: bigint('wallet_id', { mode: 'number' }).notNull(),
    cardUid: text('card_uid').notNull(),
    /** [{ categoryId, audience, quantity }] as chosen on the buy page. */
    items: jsonb('items').notNull(),
    /** Order total, and what the provider charges (the part the balance did not cover). */
    total: bigint('total', { mode: 'number' }).notNull(),
    charged: bigint('charged', { mode: 'number' }).notNull(),
    status: text('status').$type<'pending' | 'settled' | 'failed'>().notNull().default('pending'),
    orderId: text('order_id'),
    /** Why a paid checkout could not become an order (sold-out…): the money stays on the wallet. */
    failure: text('failure'),
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('ticket_checkouts_pending').on(t.status).where(sql`${t.status} = 'pending'`)],
);
