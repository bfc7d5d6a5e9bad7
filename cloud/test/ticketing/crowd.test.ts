// The figure "1,000 concurrent buyers for 100 seats: exactly 100 tickets, no error other than sold
// out", against the real ordering route (HTTP layer, idempotency, ledger, seat counters) on both
// engines. Every buyer has the money; only seats run out.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { assertBalanced, withBothDatabases } from '../helpers/databases.js';
import { auth, id, uid } from '../helpers/fixture.js';
import { type TicketingCtx, ticketingContext } from './setup.js';

const BUYERS = 1000;
const SEATS = 100;
const PRICE = 1200;
const FUNDS = 5000;

withBothDatabases('1,000 concurrent buyers', (getDb) => {
  let t: TicketingCtx;
  beforeAll(async () => {
    t = await ticketingContext(getDb());
  });
  afterAll(() => t?.close());

  it(`${BUYERS} concurrent buyers for ${SEATS} seats: exactly ${SEATS} tickets, every other answer is sold-out`, async () => {
    const e = await t.createEvent({
      capacity: SEATS,
      categories: [
        { name: 'Floor', capacity: null, prices: { full: PRICE } },
        { name: 'Balcony', capacity: 60, prices: { full: PRICE } },
      ],
    });
    // One top-up batch funds every buyer's card (the gateway's way), instead of 1,000 calls.
    const cards = Array.from({ length: BUYERS }, () => uid());
    const topup = await t.f.app.inject({
      method: 'POST',
      url: '/v1/sync/batches',
      headers: auth(t.f.barKey),
      payload: {
        batchId: id('b'),
        venueId: t.f.bar,
        items: cards.map((cardUid) => ({
          id: id(),
          type: 'topup',
          cardUid,
          at: Date.now(),
          legs: [{ asset: 'EUR', amount: FUNDS }],
          funding: 'cash',
        })),
      },
    });
    expect(topup.json().results.filter((r: { status: string }) => r.status === 'applied')).toHaveLength(
      BUYERS,
    );

    // Buyers pick either category: the event capacity (100) is the binding limit.
    const answers = await Promise.all(cards.map((c, i) => t.buy(c, e, { category: 1 + (i % 2) })));
    const ok = answers.filter((a) => a.statusCode === 201);
    const refused = answers.filter((a) => a.statusCode !== 201);
    expect(ok).toHaveLength(SEATS);
    expect(new Set(refused.map((a) => `${a.statusCode} ${a.json().error}`))).toEqual(
      new Set(['409 sold-out']),
    );

    const { rows } = await getDb().query<{ n: string; cards: string }>(
      "SELECT count(*)::text AS n, count(DISTINCT wallet_id)::text AS cards FROM tickets WHERE event_id = $1 AND status = 'valid'",
      [e.id],
    );
    expect(rows[0]).toEqual({ n: String(SEATS), cards: String(SEATS) });
    const ev = (await t.get('barAdmin', `/v1/venues/${t.f.bar}/events/${e.id}`)).json();
    expect([ev.sold, ev.available]).toEqual([SEATS, 0]);
    expect(ev.categories[1].sold).toBeLessThanOrEqual(60);
    // Exactly the buyers who got a ticket paid, once.
    const { rows: paid } = await getDb().query<{ balance: string; n: string }>(
      `SELECT a.balance::text AS balance, count(*)::text AS n FROM cards c
         JOIN accounts a ON a.wallet_id = c.wallet_id AND a.asset = 'EUR' WHERE c.uid = ANY($1::text[]) GROUP BY a.balance ORDER BY 1`,
      [cards],
    );
    expect(paid).toEqual([
      { balance: String(FUNDS - PRICE), n: String(SEATS) },
      { balance: String(FUNDS), n: String(BUYERS - SEATS) },
    ]);
    await assertBalanced(getDb());
  }, 120_000);
});
