// Events, orders paid from the wallet, overselling under concurrency, refunds and cancellation.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PostingEngine } from '../../src/index.js';
import { assertBalanced, withBothDatabases } from '../helpers/databases.js';
import { id, uid, verifyLog } from '../helpers/fixture.js';
import { balanceOf, inHours, type TicketingCtx, ticketingContext } from './setup.js';

withBothDatabases('ticketing orders', (getDb) => {
  let t: TicketingCtx;
  beforeAll(async () => {
    t = await ticketingContext(getDb());
  });
  afterAll(() => t?.close());

  it('creates an event with categories, prices per audience and capacities', async () => {
    const e = await t.createEvent({ title: 'Jazz night', tags: ['Jazz', 'jazz', ' Live '], capacity: 100 });
    expect(e.title).toBe('Jazz night');
    expect(e.categories.map((c) => [c.no, c.name, c.prices])).toEqual([
      [1, 'Standing', { full: 1500, reduced: 1000, member: 800 }],
      [2, 'Seated', { full: 2500, reduced: null, member: null }],
    ]);
    expect(e.available).toBe(100);
    expect(e.categories[1].available).toBe(5);
    expect((e as unknown as { tags: string[] }).tags).toEqual(['jazz', 'live']);
    const got = await t.get('barCashier', `/v1/venues/${t.f.bar}/events/${e.id}`);
    expect(got.json().id).toBe(e.id);
    const list = await t.get('barGateway', `/v1/venues/${t.f.bar}/events`);
    expect(list.json().events.map((x: { id: string }) => x.id)).toContain(e.id);
  });

  it('refuses bad events and foreign or unprivileged creators', async () => {
    const base = { title: 'X', startsAt: inHours(5), categories: [{ name: 'A', prices: { full: 100 } }] };
    expect((await t.post('barCashier', `/v1/venues/${t.f.bar}/events`, base)).statusCode).toBe(403);
    expect((await t.post('cafeAdmin', `/v1/venues/${t.f.bar}/events`, base)).statusCode).toBe(403);
    expect(
      (await t.post('barAdmin', `/v1/venues/${t.f.bar}/events`, { ...base, categories: [] })).statusCode,
    ).toBe(400);
    expect(
      (await t.post('barAdmin', `/v1/venues/${t.f.bar}/events`, { ...base, endsAt: inHours(1) })).statusCode,
    ).toBe(400);
    expect(
      (await t.post('barAdmin', `/v1/venues/${t.f.bar}/events`, { ...base, asset: 'NOPE' })).json().error,
    ).toBe('unknown-asset');
    expect(
      (await t.post('barAdmin', `/v1/venues/${t.f.bar}/events`, { ...base, timezone: 'Mars/Olympus' }))
        .statusCode,
    ).toBe(400);
    expect(
      (await t.post('barAdmin', `/v1/venues/${t.f.bar}/events`, { ...base, imageUrl: 'javascript:alert(1)' }))
        .statusCode,
    ).toBe(400);
  });

  it('an order is paid from the wallet through the ledger, idempotently', async () => {
    const e = await t.createEvent();
    const card = await t.card(10_000);
    const idem = id('order');
    const r = await t.buy(card, e, { quantity: 2, idem });
    expect(r.statusCode).toBe(201);
    const order = r.json();
    expect(order.total).toBe(3000);
    expect(order.tickets).toHaveLength(2);
    expect(order.tickets[0]).toMatchObject({
      categoryName: 'Standing',
      audience: 'full',
      price: 1500,
      status: 'valid',
    });
    expect(order.tickets[0].token).toMatch(/^[A-Za-z0-9_-]{150}$/);
    expect(order.balances).toContainEqual({ asset: 'EUR', amount: 7000 });
    expect(await balanceOf(getDb(), card)).toBe(7000);
    // Replay: same answer, no second payment.
    const again = await t.buy(card, e, { quantity: 2, idem });
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json().orderId).toBe(order.orderId);
    expect(await balanceOf(getDb(), card)).toBe(7000);
    // Same key, other request → conflict.
    expect((await t.buy(card, e, { quantity: 1, idem })).statusCode).toBe(409);
    const ev = (await t.get('barAdmin', `/v1/venues/${t.f.bar}/events/${e.id}`)).json();
    expect(ev.sold).toBe(2);
    expect(ev.categories[0].sold).toBe(2);
    await assertBalanced(getDb());
  });

  it('refuses orders it cannot honour, with a reason', async () => {
    const e = await t.createEvent();
    const poor = await t.card(500);
    const r = await t.buy(poor, e);
    expect(r.statusCode).toBe(409);
    expect(r.json().error).toBe('insufficient-funds');
    expect((await t.get('barAdmin', `/v1/venues/${t.f.bar}/events/${e.id}`)).json().sold).toBe(0);
    const rich = await t.card(100_000);
    expect((await t.buy(rich, e, { category: 2, audience: 'reduced' })).json().error).toBe(
      'audience-not-offered',
    );
    expect((await t.buy(rich, e, { audience: 'member' })).json().error).toBe('membership-required');
    expect((await t.buy(uid(), e)).json().error).toBe('unknown-card');
    // The cafe's staff cannot sell the bar's events.
    expect((await t.buy(rich, e, { who: 'cafeGateway' })).statusCode).toBe(403);
    // Both cardUid and personId, or neither: schema error.
    const cat = e.categories[0].id;
    const both = await t.post('barCashier', `/v1/venues/${t.f.bar}/events/${e.id}/orders`, {
      cardUid: rich,
      personId: '00000000-0000-4000-8000-000000000000',
      items: [{ categoryId: cat, audience: 'full', quantity: 1 }],
    });
    expect(both.statusCode).toBe(400);
  });

  it('member prices need a valid membership period (a badge balance alone is not one)', async () => {
    await getDb().query(
      "INSERT INTO assets (federation_id, code, kind, refundable, venue_id) VALUES ($1, $2, 'membership', false, $3)",
      [t.f.fed, `MEMBER:${t.f.bar}`, t.f.bar],
    );
    const e = await t.createEvent();
    const card = await t.card(5000);
    // Memberships are credited by the venue (issuance account → wallet), never topped up.
    const { rows } = await getDb().query<{ wallet_id: string }>(
      'SELECT wallet_id::text FROM cards WHERE uid = $1',
      [card],
    );
    const [res] = await getDb().tx(async (tx) =>
      (await PostingEngine.begin(tx)).apply([
        {
          id: id('member'),
          venueId: t.f.bar,
          kind: 'membership',
          bodyHash: Buffer.alloc(32),
          at: Date.now(),
          postings: [
            {
              asset: `MEMBER:${t.f.bar}`,
              from: { system: `issuance:${t.f.bar}` },
              to: { wallet: Number(rows[0].wallet_id) },
              amount: 1,
              kind: 'membership',
            },
          ],
        },
      ]),
    );
    expect(res.status).toBe('applied');
    // The badge is a keepsake: membership status comes from the membership periods (memberships/).
    expect((await t.buy(card, e, { audience: 'member' })).json().error).toBe('membership-required');
    const product = await t.post('barAdmin', `/v1/venues/${t.f.bar}/membership-products`, {
      name: 'Adhésion',
      scope: 'venue',
      pricing: 'fixed',
      price: 0,
    });
    expect(product.statusCode).toBe(201);
    const m = await t.post('barCashier', `/v1/venues/${t.f.bar}/memberships`, {
      productId: product.json().id,
      cardUid: card,
    });
    expect(m.statusCode).toBe(201);
    const o = await t.buy(card, e, { audience: 'member' });
    expect(o.statusCode).toBe(201);
    expect(o.json().total).toBe(800);
    expect(await balanceOf(getDb(), card)).toBe(4200);
  });

  it('50 parallel buyers for 10 seats: exactly 10 tickets, every other answer is sold-out', async () => {
    const e = await t.createEvent({
      capacity: 10,
      categories: [{ name: 'Seat', capacity: null, prices: { full: 1000 } }],
    });
    const cards = await Promise.all(Array.from({ length: 50 }, () => t.card(5000)));
    const answers = await Promise.all(cards.map((c) => t.buy(c, e)));
    const ok = answers.filter((a) => a.statusCode === 201);
    expect(ok).toHaveLength(10);
    expect(answers.filter((a) => a.statusCode !== 201).map((a) => a.json().error)).toEqual(
      Array(40).fill('sold-out'),
    );
    const { rows } = await getDb().query<{ n: string }>(
      "SELECT count(*)::text AS n FROM tickets WHERE event_id = $1 AND status = 'valid'",
      [e.id],
    );
    expect(rows[0].n).toBe('10');
    const ev = (await t.get('barAdmin', `/v1/venues/${t.f.bar}/events/${e.id}`)).json();
    expect([ev.sold, ev.available]).toEqual([10, 0]);
    const balances = await Promise.all(cards.map((c) => balanceOf(getDb(), c)));
    expect(balances.filter((b) => b === 4000)).toHaveLength(10);
    expect(balances.filter((b) => b === 5000)).toHaveLength(40);
    await assertBalanced(getDb());
  });

  it('category capacity is enforced on its own, also within one order', async () => {
    const e = await t.createEvent();
    const card = await t.card(100_000);
    expect((await t.buy(card, e, { category: 2, quantity: 6 })).json().error).toBe('sold-out');
    expect((await t.buy(card, e, { category: 2, quantity: 5 })).statusCode).toBe(201);
    expect((await t.buy(card, e, { category: 2, quantity: 1 })).json().error).toBe('sold-out');
    expect((await t.buy(card, e, { category: 1, quantity: 3 })).statusCode).toBe(201);
  });

  it('free tickets need no balance and move no money', async () => {
    const e = await t.createEvent({ categories: [{ name: 'Free', prices: { full: 0 } }] });
    const card = await t.card(1);
    const before = (await getDb().query<{ n: string }>('SELECT count(*)::text AS n FROM transfers')).rows[0]
      .n;
    const r = await t.buy(card, e, { quantity: 3 });
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({ total: 0, logSeqs: [] });
    expect(r.json().tickets).toHaveLength(3);
    expect((await getDb().query<{ n: string }>('SELECT count(*)::text AS n FROM transfers')).rows[0].n).toBe(
      before,
    );
    const refund = await t.post(
      'barAdmin',
      `/v1/venues/${t.f.bar}/tickets/${r.json().tickets[0].ticketId}/refund`,
      {},
    );
    expect(refund.json()).toMatchObject({ status: 'refunded', refunded: { amount: 0 } });
  });

  it('a refund returns the price to the wallet, revokes the ticket and frees its seat', async () => {
    const e = await t.createEvent({
      capacity: 1,
      refundUntilHours: 24,
      categories: [{ name: 'Seat', prices: { full: 1200 } }],
    });
    const card = await t.card(5000);
    const o = (await t.buy(card, e)).json();
    const other = await t.card(5000);
    expect((await t.buy(other, e)).json().error).toBe('sold-out');
    const ticketId = o.tickets[0].ticketId;
    const idem = id('refund');
    const r = await t.post('barCashier', `/v1/venues/${t.f.bar}/tickets/${ticketId}/refund`, {}, idem);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({
      ticketId,
      status: 'refunded',
      refunded: { asset: 'EUR', amount: 1200 },
    });
    expect(await balanceOf(getDb(), card)).toBe(5000);
    // Replayed: same answer, no second refund.
    const again = await t.post('barCashier', `/v1/venues/${t.f.bar}/tickets/${ticketId}/refund`, {}, idem);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await balanceOf(getDb(), card)).toBe(5000);
    // A new request for the same ticket: already refunded.
    expect(
      (await t.post('barCashier', `/v1/venues/${t.f.bar}/tickets/${ticketId}/refund`, {})).json().error,
    ).toBe('already-refunded');
    // The seat is back on sale.
    expect((await t.buy(other, e)).statusCode).toBe(201);
    await assertBalanced(getDb());
    await verifyLog(getDb());
  });

  it('refund rules: cashiers within the window only, admins any time, never for a used ticket', async () => {
    const closed = await t.createEvent({ startsAt: inHours(10), endsAt: inHours(12), refundUntilHours: 24 });
    const noRule = await t.createEvent({ refundUntilHours: null });
    const card = await t.card(20_000);
    const a = (await t.buy(card, closed)).json().tickets[0].ticketId;
    const b = (await t.buy(card, noRule)).json().tickets[0].ticketId;
    expect((await t.post('barCashier', `/v1/venues/${t.f.bar}/tickets/${a}/refund`, {})).json().error).toBe(
      'refund-window-closed',
    );
    expect((await t.post('barGateway', `/v1/venues/${t.f.bar}/tickets/${b}/refund`, {})).json().error).toBe(
      'refund-not-allowed',
    );
    expect((await t.post('cafeAdmin', `/v1/venues/${t.f.bar}/tickets/${a}/refund`, {})).statusCode).toBe(403);
    expect((await t.post('barAdmin', `/v1/venues/${t.f.bar}/tickets/${a}/refund`, {})).statusCode).toBe(200);
    const c = (await t.buy(card, closed)).json().tickets[0];
    await getDb().query("UPDATE tickets SET checked_in_at = now(), checked_in_door = 'A' WHERE id = $1", [
      c.ticketId,
    ]);
    expect(
      (await t.post('barAdmin', `/v1/venues/${t.f.bar}/tickets/${c.ticketId}/refund`, {})).json().error,
    ).toBe('already-used');
    // Revocation (no refund) by an admin.
    const d = (await t.buy(card, noRule)).json().tickets[0].ticketId;
    const before = await balanceOf(getDb(), card);
    expect((await t.post('barCashier', `/v1/venues/${t.f.bar}/tickets/${d}/revoke`, {})).statusCode).toBe(
      403,
    );
    expect((await t.post('barAdmin', `/v1/venues/${t.f.bar}/tickets/${d}/revoke`, {})).json()).toEqual({
      ticketId: d,
      status: 'revoked',
    });
    expect(await balanceOf(getDb(), card)).toBe(before);
  });

  it('cancelling an event refunds every valid ticket and stops sales', async () => {
    const e = await t.createEvent();
    const cards = await Promise.all([t.card(10_000), t.card(10_000), t.card(10_000)]);
    await t.buy(cards[0], e, { quantity: 2 });
    await t.buy(cards[1], e, { category: 2 });
    const gone = (await t.buy(cards[2], e)).json().tickets[0].ticketId;
    await t.post('barAdmin', `/v1/venues/${t.f.bar}/tickets/${gone}/refund`, {});
    const idem = id('cancel');
    const r = await t.post('barAdmin', `/v1/venues/${t.f.bar}/events/${e.id}/cancel`, {}, idem);
    expect(r.statusCode).toBe(200);
    expect(r.json().refunded).toBe(3);
    expect(r.json().event.status).toBe('cancelled');
    expect(await Promise.all(cards.map((c) => balanceOf(getDb(), c)))).toEqual([10_000, 10_000, 10_000]);
    expect(
      (await t.post('barAdmin', `/v1/venues/${t.f.bar}/events/${e.id}/cancel`, {}, idem)).headers[
        'idempotent-replayed'
      ],
    ).toBe('true');
    expect((await t.buy(cards[0], e)).json().error).toBe('event-cancelled');
    expect((await t.post('barCashier', `/v1/venues/${t.f.bar}/events/${e.id}/cancel`, {})).statusCode).toBe(
      403,
    );
    await assertBalanced(getDb());
    await verifyLog(getDb());
  });
});
