// Memberships: products (fixed, free price with a minimum, sliding scale), purchase from the wallet
// (fee + badge in one ledger operation, idempotent), renewals extending from the old expiry,
// member prices and members-only events refused with a reason, the status the gateways download,
// and renewal reminders through the outbox to a real SMTP peer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendOutbox, smtpTransport } from '../../src/index.js';
import { addMonths, nextPeriod, statusAt } from '../../src/memberships/period.js';
import { priceMembership } from '../../src/memberships/pricing.js';
import { queueMembershipReminders } from '../../src/memberships/reminders.js';
import { assertBalanced, withBothDatabases } from '../helpers/databases.js';
import { auth, id, uid } from '../helpers/fixture.js';
import { ageMemberships, MONTHLY_FREE_PRICE } from '../helpers/memberships.js';
import { startSmtp } from '../helpers/smtp.js';
import { balanceOf, type TicketingCtx, ticketingContext } from '../ticketing/setup.js';

const DAY = 86_400_000;

describe('membership rules (pure)', () => {
  it('adds calendar months, clamping the day', () => {
    expect(new Date(addMonths(Date.UTC(2025, 0, 31), 1)).toISOString().slice(0, 10)).toBe('2025-02-28');
    expect(new Date(addMonths(Date.UTC(2024, 1, 29), 12)).toISOString().slice(0, 10)).toBe('2025-02-28');
  });
  it('a renewal before expiry extends from the old expiry; after it lapsed, from now', () => {
    const now = Date.UTC(2025, 5, 1);
    const exp = Date.UTC(2025, 6, 1);
    expect(nextPeriod(exp, now, 12)).toEqual({
      startsAt: exp,
      expiresAt: Date.UTC(2026, 6, 1),
      renewal: true,
    });
    expect(nextPeriod(Date.UTC(2025, 4, 1), now, 12)).toEqual({
      startsAt: now,
      expiresAt: Date.UTC(2026, 5, 1),
      renewal: false,
    });
    expect(nextPeriod(Date.UTC(2027, 0, 1), now, 12)).toMatchObject({ tooEarly: true });
  });
  it('status merges back-to-back periods; valid ⇔ validFrom <= now < validUntil', () => {
    const p = [
      { startsAt: 0, expiresAt: 10 },
      { startsAt: 10, expiresAt: 20 },
    ];
    expect(statusAt(p, 15)).toEqual({ state: 'valid', validFrom: 0, validUntil: 20 });
    expect(statusAt(p, 20)).toEqual({ state: 'expired', validFrom: 0, validUntil: 20 });
    expect(statusAt([], 5)).toEqual({ state: 'none', validFrom: null, validUntil: null });
  });
  it('prices: fixed, free with a minimum, sliding scale by bracket or declared income', () => {
    const sliding = {
      pricing: 'sliding' as const,
      price: 0,
      minPrice: 0,
      brackets: [
        { id: 'low', label: '< 15 k€', maxIncome: 1_500_000, price: 500 },
        { id: 'mid', label: '< 30 k€', maxIncome: 3_000_000, price: 1500 },
        { id: 'high', label: '≥ 30 k€', maxIncome: null, price: 3000 },
      ],
    };
    expect(priceMembership(sliding, { income: 2_000_000 })).toEqual({ amount: 1500, bracket: 'mid' });
    expect(priceMembership(sliding, { income: 9_000_000 })).toEqual({ amount: 3000, bracket: 'high' });
    expect(priceMembership(sliding, { bracket: 'low' })).toEqual({ amount: 500, bracket: 'low' });
    expect(() => priceMembership(sliding, {})).toThrow(/bracket/);
    const free = { pricing: 'free' as const, price: 2000, minPrice: 500, brackets: null };
    expect(priceMembership(free, { amount: 700 }).amount).toBe(700);
    expect(() => priceMembership(free, { amount: 499 })).toThrow(/minimum/);
  });
});

withBothDatabases('memberships', (getDb) => {
  let t: TicketingCtx;
  let yearly: { id: string; badgeAsset: string };
  let monthly: { id: string };
  let smtp: Awaited<ReturnType<typeof startSmtp>>;

  const buy = (card: string, productId: string, extra: object = {}, idem?: string) =>
    t.post(
      'barCashier',
      `/v1/venues/${t.f.bar}/memberships`,
      { productId, cardUid: card, ...extra },
      idem ?? id('idem'),
    );
  const status = async (card: string) =>
    (await t.get('barCashier', `/v1/venues/${t.f.bar}/cards/${card}/membership`)).json();
  const age = (card: string, days: number) => ageMemberships(getDb(), card, days);

  beforeAll(async () => {
    t = await ticketingContext(getDb());
    smtp = await startSmtp();
    const y = await t.post('barAdmin', `/v1/venues/${t.f.bar}/membership-products`, {
      name: 'Adhésion annuelle',
      scope: 'venue',
      pricing: 'fixed',
      price: 1000,
    });
    expect(y.statusCode).toBe(201);
    yearly = y.json();
    const m = await t.post('barAdmin', `/v1/venues/${t.f.bar}/membership-products`, MONTHLY_FREE_PRICE);
    expect(m.statusCode).toBe(201);
    monthly = m.json();
  }, 60_000);
  afterAll(async () => {
    await smtp?.close();
    await t?.close();
  });

  it('products: bad pricing and federation scope by a venue admin are refused', async () => {
    const bad = await t.post('barAdmin', `/v1/venues/${t.f.bar}/membership-products`, {
      name: 'x',
      scope: 'venue',
      pricing: 'free',
      price: 100,
      minPrice: 500,
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toBe('bad-pricing');
    const fed = await t.post('barAdmin', `/v1/venues/${t.f.bar}/membership-products`, {
      name: 'Réseau',
      scope: 'federation',
      pricing: 'fixed',
      price: 100,
    });
    expect(fed.statusCode).toBe(403);
    const sliding = await t.post('fed', `/v1/venues/${t.f.bar}/membership-products`, {
      name: 'Coopérative',
      scope: 'federation',
      pricing: 'sliding',
      brackets: [
        { id: 'low', label: 'low', maxIncome: 1_500_000, price: 500 },
        { id: 'high', label: 'high', maxIncome: null, price: 2000 },
      ],
    });
    expect(sliding.statusCode).toBe(201);
    expect(sliding.json().badgeAsset).toBe(`MEMBER:${t.f.fed}`);
    // Federation-wide: a card buying it at the bar is a member at the café too.
    const card = await t.card(5000);
    const r = await buy(card, sliding.json().id, { income: 1_000_000 });
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({ amount: 500, bracket: 'low' });
    const cafe = await t.get('cafeAdmin', `/v1/venues/${t.f.cafe}/cards/${card}/membership`);
    expect(cafe.json().state).toBe('valid');
  });

  it('a purchase takes the fee from the wallet and credits one badge, once per Idempotency-Key', async () => {
    const card = await t.card(5000);
    const key = id('idem');
    const r = await buy(card, yearly.id, {}, key);
    expect(r.statusCode).toBe(201);
    const p = r.json();
    expect(p).toMatchObject({ amount: 1000, asset: 'EUR', renewal: false, badgeAsset: `MEMBER:${t.f.bar}` });
    expect(Date.parse(p.expiresAt)).toBe(addMonths(Date.parse(p.startsAt), 12));
    const again = await buy(card, yearly.id, {}, key);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(p);
    expect(await balanceOf(getDb(), card)).toBe(4000);
    expect(await balanceOf(getDb(), card, `MEMBER:${t.f.bar}`)).toBe(1);
    expect(await status(card)).toMatchObject({ state: 'valid', validUntil: p.expiresAt });
    await assertBalanced(getDb());
  });

  it('refusals say why and change nothing', async () => {
    const poor = await t.card(500);
    const r = await buy(poor, yearly.id);
    expect(r.statusCode).toBe(409);
    expect(r.json().error).toBe('insufficient-funds');
    expect(await status(poor)).toMatchObject({ state: 'none' });
    expect((await buy(poor, monthly.id, { amount: 100 })).json().error).toBe('below-minimum');
    expect((await buy(uid(), yearly.id)).json().error).toBe('unknown-card');
    // The café cannot sell the bar's own membership.
    const other = await t.post('cafeAdmin', `/v1/venues/${t.f.cafe}/memberships`, {
      productId: yearly.id,
      cardUid: poor,
    });
    expect(other.statusCode).toBe(404);
    expect(other.json().error).toBe('unknown-product');
    expect(await balanceOf(getDb(), poor)).toBe(500);
  });

  it('renewing before expiry extends from the old expiry; a third click is too early', async () => {
    const card = await t.card(5000);
    const first = (await buy(card, monthly.id, { amount: 250 })).json();
    await age(card, 20); // 20 days later, ~10 days left
    const before = await status(card);
    const renewed = await buy(card, monthly.id, { amount: 250 });
    expect(renewed.statusCode).toBe(201);
    expect(renewed.json().renewal).toBe(true);
    expect(renewed.json().startsAt).toBe(before.validUntil);
    expect(Date.parse(renewed.json().expiresAt)).toBe(addMonths(Date.parse(before.validUntil), 1));
    expect((await status(card)).validUntil).toBe(renewed.json().expiresAt);
    const third = await buy(card, monthly.id, { amount: 250 });
    expect(third.statusCode).toBe(409);
    expect(third.json().error).toBe('renewal-too-early');
    expect(first.periodId).not.toBe(renewed.json().periodId);
  });

  it('member prices and members-only events use the membership periods', async () => {
    const e = await t.createEvent();
    const never = await t.card(5000);
    const r1 = await t.buy(never, e, { audience: 'member' });
    expect(r1.statusCode).toBe(403);
    expect(r1.json().error).toBe('membership-required');
    const member = await t.card(5000);
    await buy(member, yearly.id);
    const ok = await t.buy(member, e, { audience: 'member' });
    expect(ok.statusCode).toBe(201);
    expect(ok.json().total).toBe(800);
    // Expired (a year and a day later): refused with the reason, whatever the badge balance says.
    await age(member, 366);
    expect(await status(member)).toMatchObject({ state: 'expired' });
    expect(await balanceOf(getDb(), member, `MEMBER:${t.f.bar}`)).toBe(1);
    const r2 = await t.buy(member, e, { audience: 'member' });
    expect(r2.json().error).toBe('membership-expired');
    // Members-only event: even the full price needs a membership.
    const closed = await t.createEvent({ title: 'AG' });
    const mark = await t.f.app.inject({
      method: 'PUT',
      url: `/v1/venues/${t.f.bar}/events/${closed.id}/members-only`,
      headers: auth(t.tokens.barAdmin),
      payload: { membersOnly: true },
    });
    expect(mark.statusCode).toBe(200);
    expect((await t.buy(never, closed)).json().error).toBe('membership-required');
    expect((await t.buy(member, closed)).json().error).toBe('membership-expired');
    const fresh = await t.card(5000);
    await buy(fresh, yearly.id);
    expect((await t.buy(fresh, closed)).statusCode).toBe(201);
    // The gateway's download carries the same truth: the venue's members-only events and the cards' runs.
    const cfg = (await t.get('barGateway', `/v1/sync/config?venueId=${t.f.bar}`)).json();
    expect(cfg.memberships.membersOnlyEvents).toContain(closed.id);
    const byCard = new Map(cfg.memberships.cards.map((c: { cardUid: string }) => [c.cardUid, c]));
    const m = byCard.get(member) as { validUntil: number };
    expect(m.validUntil).toBeLessThan(Date.now());
    expect((byCard.get(fresh) as { validUntil: number }).validUntil).toBeGreaterThan(Date.now());
    expect(byCard.has(never)).toBe(false);
    const leases = await t.f.app.inject({
      method: 'POST',
      url: '/v1/sync/leases',
      headers: auth(t.f.barKey),
      payload: { venueId: t.f.bar, cards: [member, fresh, never] },
    });
    expect(leases.json().leases.map((l: { membership: { state: string } }) => l.membership.state)).toEqual([
      'expired',
      'valid',
      'none',
    ]);
    expect(leases.json().membershipTtlMs).toBeGreaterThan(0);
  });

  it('renewal reminders: due steps queued once, to the holder, sent over SMTP', async () => {
    const email = `holder-${id()}@example.org`.toLowerCase();
    const person = await t.post('barCashier', `/v1/venues/${t.f.bar}/people`, { displayName: 'Ada', email });
    expect(person.statusCode).toBe(201);
    const personId = person.json().personId;
    const card = await t.card(5000);
    const merged = await t.post('barCashier', `/v1/venues/${t.f.bar}/wallets/merge`, {
      cardUid: card,
      personId,
    });
    expect(merged.statusCode).toBe(200);
    const p = (
      await t.post('barCashier', `/v1/venues/${t.f.bar}/memberships`, {
        productId: monthly.id,
        personId,
        amount: 300,
      })
    ).json();
    expect(p.amount).toBe(300);
    // 5 days before expiry: both steps (20 and 7 days) are due; one email.
    const now = Date.parse(p.expiresAt) - 5 * DAY;
    const r1 = await queueMembershipReminders(getDb(), { baseUrl: 'https://coop.example', now });
    expect(r1.queued).toBeGreaterThanOrEqual(1);
    const mine = await getDb().query<{ subject: string; body: string }>(
      "SELECT subject, body FROM email_outbox WHERE to_address = $1 AND kind = 'membership-reminder'",
      [email],
    );
    expect(mine.rows).toHaveLength(1);
    expect(mine.rows[0].subject).toContain('Mensuelle');
    expect(mine.rows[0].body).toContain('https://coop.example/me/memberships');
    const r2 = await queueMembershipReminders(getDb(), { baseUrl: 'https://coop.example', now });
    expect(r2.queued).toBe(0);
    const transport = smtpTransport({ host: '127.0.0.1', port: smtp.port, secure: false, ignoreTLS: true });
    await sendOutbox(getDb(), transport, { from: 'coop@example.org' });
    transport.close();
    const got = smtp.received.find((m) => m.to.includes(email));
    expect(got?.raw).toMatch(/X-TiBillet-Kind: membership-reminder/i);
    // Renewed: no reminder for the old period any more.
    await t.post('barCashier', `/v1/venues/${t.f.bar}/memberships`, {
      productId: monthly.id,
      personId,
      amount: 300,
    });
    const r3 = await queueMembershipReminders(getDb(), { baseUrl: 'https://coop.example', now: now + DAY });
    const after = await getDb().query(
      "SELECT 1 FROM email_outbox WHERE to_address = $1 AND kind = 'membership-reminder'",
      [email],
    );
    expect(after.rows).toHaveLength(1);
    expect(r3.queued).toBe(0);
  });
});
