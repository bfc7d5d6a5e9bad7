// Promotion tables: the rules each venue defines (shipped to its gateway in the config download)
// and the venue's time zone for happy-hour windows. Listed in drizzle.config.ts; imports nothing
// but drizzle-orm.
import { jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import type { PromotionRule } from './rule-schema.js';

export const promotionRules = pgTable(
  'promotion_rules',
  {
    venueId: text('venue_id').notNull(),
    id: text('id').notNull(),
    /** The rule as the gateway reads it (rule-schema.ts), without `source`. */
    rule: jsonb('rule').$type<PromotionRule>().notNull(),
    updatedBy: text('updated_by'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.venueId, t.id] })],
);

export const promotionSettings = pgTable('promotion_settings', {
  venueId: text('venue_id').primaryKey(),
  /** IANA zone of the venue's happy-hour windows. */
  timeZone: text('time_zone').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
