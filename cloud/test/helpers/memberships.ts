// Membership data shared by the membership suites.
import type { Db } from '../../src/index.js';

/** A monthly venue membership at a free price (300 suggested, 200 at least), reminded 20 and 7 days ahead. */
export const MONTHLY_FREE_PRICE = {
  name: 'Mensuelle',
  scope: 'venue',
  pricing: 'free',
  price: 300,
  minPrice: 200,
  durationMonths: 1,
  reminderDays: [20, 7],
};

/** Moves the membership periods of a card's wallet back `days` (fractions too), as if they had passed. */
export const ageMemberships = (db: Db, card: string, days: number) =>
  db.query(
    `UPDATE membership_periods SET starts_at = starts_at - make_interval(secs => $2), expires_at = expires_at - make_interval(secs => $2)
     WHERE wallet_id = (SELECT wallet_id FROM cards WHERE uid = $1)`,
    [card, days * 86_400],
  );
