// Ending memberships. An admin cancels a membership (the period ends now, its advance renewals
// with it): the badge goes back through the ledger, an optional refund (pro rata of unused days,
// full, or an amount) comes back to the wallet the way the fee was paid, Σ per asset stays 0, the
// log verifies, the status flips to not-member for the API, the gateway config and the leases;
// replays answer the first result, a second cancel is a 409, another venue's admin changes
// nothing. The holder stops (and resumes) renewal reminders from /me or through staff.
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCloud } from '../../src/index.js';
import { PostingEngine } from '../../src/ledger/engine.js';
import { sys } from '../../src/ledger/venue.js';
import { proRataRefund, refundsFor } from '../../src/memberships/cancel.js';
import { queueMembershipReminders } from '../../src/memberships/reminders.js';
import type { CheckoutRequest, PaidSession, PaymentProvider } from '../../src/payments/provider.js';
import { assertBalanced, withBothDatabases } from '../helpers/databases.js';
import { auth, id, uid, verifyLog } from '../helpers/fixture.js';
import { ageMemberships, MONTHLY_FREE_PRICE } from '../helpers/memberships.js';
import { balanceOf, type TicketingCtx, ticketingContext, type Who } from '../ticketing/setup.js';

const DAY = 86_400_000;
const BASE = 'https://coop.example';

/** A stand-in payment provider (same interface as the real one; webhooks unsigned in tests). */
class FakePay implements PaymentProvider {
  readonly name = 'fakepay';
  readonly sessions = new Map<string, CheckoutRequest>();
  async createCheckout(req: CheckoutRequest) {
    const sessionId = `cs_${id()}`;
    this.sessions.set(sessionId, req);
    return { sessionId, url: `https://pay.example/${sessionId}` };
  }
  parseWebhook(raw: string): PaidSession | null {
    const e = JSON.parse(raw) as { id: string; sessionId: string };
    const s = this.sessions.get(e.sessionId);
    return s
      ? { eventId: e.id, sessionId: e.sessionId, reference: s.reference, amount: s.amount, currency: 'eur' }
      : null;
  }
}

describe('refund rules (pure)', () => {
  const year = { amount: 1200, startsAt: Date.UTC(2025, 0, 1), expiresAt: Date.UTC(2026, 0, 1) };
  it('pro rata of the unused whole days, rounded down; not started = all; ended = nothing', () => {
    // 100.5 days used → 264 unused whole days of 365.
    expect(proRataRefund(year, year.startsAt + 100.5 * DAY)).toBe(Math.floor((1200 * 264) / 365));
    expect(proRataRefund(year, year.startsAt + 100.5 * DAY)).toBe(867);
    expect(proRataRefund(year, year.startsAt - DAY)).toBe(1200);
    expect(proRataRefund(year, year.expiresAt)).toBe(0);
    expect(proRataRefund({ ...year, amount: 0 }, year.startsAt)).toBe(0);
  });
  it('an amount is given back from the latest period first, never more than paid', () => {
    const two = [year, { amount: 500, startsAt: year.expiresAt, expiresAt: Date.UTC(2027, 0, 1) }];
    expect(refundsFor(two, 'amount', year.startsAt, 600)).toEqual([100, 500]);
    expect(refundsFor(two, 'full', year.startsAt)).toEqual([1200, 500]);
    expect(refundsFor(two, 'none', year.startsAt)).toEqual([0, 0]);
    expect(() => refundsFor(two, 'amount', year.startsAt, 1701)).toThrow(/more than/);
    expect(() => refundsFor(two, 'amount', year.startsAt, -1)).toThrow(/non-negative/);
    expect(() => refundsFor(two, 'amount', year.startsAt, 1.5)).toThrow(/integer/);
  });
});

withBothDatabases('membership cancellation', (getDb) => {
  let t: TicketingCtx;
  let app: Awaited<ReturnType<typeof createCloud>>['app'];
  let closeHolder: () => Promise<void>;
  let yearly: { id: string; badgeAsset: string };
  let monthly: { id: string };
  let cafeProduct: { id: string; badgeAsset: string };

  const buy = async (card: string, productId: string, extra: object = {}, venue?: string) => {
    const v = venue ?? t.f.bar;
    const r = await t.post(v === t.f.bar ? 'barCashier' : 'cafeAdmin', `/v1/venues/${v}/memberships`, {
      productId,
      cardUid: card,
      ...extra,
    });
    expect(r.statusCode).toBe(201);
    return r.json() as { periodId: string; startsAt: string; expiresAt: string; amount: number };
  };
  const cancel = (
    periodId: string,
    body: object,
    opts: { who?: Who; venue?: string; idem?: string | null } = {},
  ) =>
    t.post(
      opts.who ?? 'barAdmin',
      `/v1/venues/${opts.venue ?? t.f.bar}/memberships/${periodId}/cancel`,
      body,
      opts.idem === undefined ? id('idem') : opts.idem,
    );
  const status = async (card: string, venue = t.f.bar) =>
    (
      await t.get(
        venue === t.f.bar ? 'barCashier' : 'cafeAdmin',
        `/v1/venues/${venue}/cards/${card}/membership`,
      )
    ).json();
  const age = (card: string, days: number) => ageMemberships(getDb(), card, days);
  const periodRow = async (periodId: string) =>
    (
      await getDb().query<Record<string, unknown>>(
        'SELECT cancelled_at, cancel_refund::text AS refund, cancel_reason, reminders_off_at FROM membership_periods WHERE id = $1',
        [periodId],
      )
    ).rows[0];
  const logCount = async () =>
    Number((await getDb().query<{ n: string }>('SELECT count(*)::text AS n FROM log_entries')).rows[0].n);
  const venueEur = async (venue: string) =>
    Number(
      (
        await getDb().query<{ b: string }>(
          "SELECT coalesce(sum(balance), 0)::text AS b FROM accounts WHERE system = $1 AND asset = 'EUR'",
          [`venue:${venue}`],
        )
      ).rows[0].b,
    );
  /** Everything a refused request must leave alone. */
  const snapshot = async (card: string, periodId: string) => ({
    eur: await balanceOf(getDb(), card),
    badge: await balanceOf(getDb(), card, `MEMBER:${t.f.bar}`),
    venue: await venueEur(t.f.bar),
    log: await logCount(),
    period: await periodRow(periodId),
    state: (await status(card)).state,
  });
  const leaseOf = async (card: string) =>
    (
      await t.f.app.inject({
        method: 'POST',
        url: '/v1/sync/leases',
        headers: auth(t.f.barKey),
        payload: { venueId: t.f.bar, cards: [card] },
      })
    ).json().leases[0].membership;
  const configCard = async (card: string) => {
    const cfg = (await t.get('barGateway', `/v1/sync/config?venueId=${t.f.bar}`)).json();
    return cfg.memberships.cards.find((c: { cardUid: string }) => c.cardUid === card) as
      | { validFrom: number; validUntil: number }
      | undefined;
  };

  beforeAll(async () => {
    t = await ticketingContext(getDb());
    const cloud = await createCloud({
      db: getDb(),
      masterKey: t.f.masterKey,
      publicUrl: BASE,
      payments: new FakePay(),
      rateLimits: false,
    });
    app = cloud.app;
    closeHolder = cloud.close;
    const mk = async (who: Who, venue: string, body: object) => {
      const r = await t.post(who, `/v1/venues/${venue}/membership-products`, body);
      expect(r.statusCode).toBe(201);
      return r.json();
    };
    yearly = await mk('barAdmin', t.f.bar, {
      name: 'Adhésion <annuelle>',
      scope: 'venue',
      pricing: 'fixed',
      price: 1200,
    });
    monthly = await mk('barAdmin', t.f.bar, MONTHLY_FREE_PRICE);
    cafeProduct = await mk('cafeAdmin', t.f.cafe, {
      name: 'Café',
      scope: 'venue',
      pricing: 'fixed',
      price: 900,
    });
  }, 60_000);
  afterAll(async () => {
    await closeHolder?.();
    await t?.close();
  });

  it('pro rata: the period ends now, the badge goes back, unused whole days are refunded; gateways see it', async () => {
    const card = await t.card(5000);
    const p = await buy(card, yearly.id);
    await age(card, 100.5);
    expect(await status(card)).toMatchObject({ state: 'valid' });
    expect((await leaseOf(card)).state).toBe('valid');
    const venueBefore = await venueEur(t.f.bar);
    const r = await cancel(p.periodId, { reason: 'départ (statuts art. 7)', refund: 'pro-rata' });
    expect(r.statusCode).toBe(200);
    const v = r.json();
    const start = Date.parse(p.startsAt) - 100.5 * DAY;
    const end = Date.parse(p.expiresAt) - 100.5 * DAY;
    const totalDays = Math.round((end - start) / DAY);
    // ~264.5 days left: 264 whole unused days (the day begun counts as used).
    const expected = Math.floor((1200 * 264) / totalDays);
    expect(totalDays === 365 ? expected === 867 : expected === 865).toBe(true);
    expect(v).toMatchObject({
      periodId: p.periodId,
      refundMode: 'pro-rata',
      refunded: [{ asset: 'EUR', amount: expected }],
      badge: { asset: yearly.badgeAsset, returned: 1 },
      periods: [{ periodId: p.periodId, amount: 1200, refund: expected, paidBy: 'wallet' }],
      status: { state: 'expired' },
    });
    expect(v.logSeqs).toHaveLength(2);
    expect(v.status.validUntil).toBe(v.cancelledAt);
    expect(await balanceOf(getDb(), card)).toBe(5000 - 1200 + expected);
    expect(await balanceOf(getDb(), card, yearly.badgeAsset)).toBe(0);
    expect(await venueEur(t.f.bar)).toBe(venueBefore - expected);
    const row = await periodRow(p.periodId);
    expect(row.refund).toBe(String(expected));
    expect(row.cancel_reason).toBe('départ (statuts art. 7)');
    // Not a member anywhere: the API, the lease and the gateway's config document.
    expect(await status(card)).toMatchObject({ state: 'expired', validUntil: v.cancelledAt });
    expect(await leaseOf(card)).toMatchObject({ state: 'expired', validUntil: Date.parse(v.cancelledAt) });
    const c = await configCard(card);
    expect(c?.validUntil).toBe(Date.parse(v.cancelledAt));
    expect(c!.validUntil).toBeLessThanOrEqual(Date.now());
    const e = await t.createEvent();
    expect((await t.buy(card, e, { audience: 'member' })).json().error).toBe('membership-expired');
    // Staff see the period, when it ended and why, with its id.
    const list = (await t.get('barCashier', `/v1/venues/${t.f.bar}/cards/${card}/membership-periods`)).json();
    expect(list.periods).toEqual([
      expect.objectContaining({
        periodId: p.periodId,
        endsAt: v.cancelledAt,
        cancelledAt: v.cancelledAt,
        cancelReason: 'départ (statuts art. 7)',
        cancelRefund: expected,
        amount: 1200,
      }),
    ]);
    // The transfers are in the public log with their kinds.
    const kinds = await getDb().query<{ kind: string; asset: string; amount: string }>(
      'SELECT kind, asset, amount::text FROM transfers WHERE id = ANY($1::int8[]) ORDER BY id',
      [v.logSeqs],
    );
    expect(kinds.rows).toEqual([
      { kind: 'membership-refund', asset: 'EUR', amount: String(expected) },
      { kind: 'membership-cancel', asset: yearly.badgeAsset, amount: '1' },
    ]);
    await assertBalanced(getDb());
    await verifyLog(getDb());
    // Joining again after a cancellation starts a fresh period now.
    const again = await buy(card, yearly.id);
    expect(Date.parse(again.startsAt)).toBeGreaterThanOrEqual(Date.parse(v.cancelledAt));
    expect(await status(card)).toMatchObject({ state: 'valid', validUntil: again.expiresAt });
    await assertBalanced(getDb());
  });

  it('full refund takes the advance renewals along; cancelling only a renewal keeps the current period', async () => {
    const card = await t.card(5000);
    const first = await buy(card, monthly.id, { amount: 300 });
    await age(card, 20);
    const renewal = await buy(card, monthly.id, { amount: 250 });
    const r = await cancel(first.periodId, { reason: 'bought by mistake', refund: 'full' });
    expect(r.statusCode).toBe(200);
    expect(r.json().periods.map((x: { periodId: string; refund: number }) => [x.periodId, x.refund])).toEqual(
      [
        [first.periodId, 300],
        [renewal.periodId, 250],
      ],
    );
    expect(r.json()).toMatchObject({ refunded: [{ asset: 'EUR', amount: 550 }], badge: { returned: 2 } });
    expect(await balanceOf(getDb(), card)).toBe(5000);
    expect(await balanceOf(getDb(), card, `MEMBER:${t.f.bar}`)).toBe(0);
    expect((await status(card)).state).toBe('expired');
    await assertBalanced(getDb());
    await verifyLog(getDb());

    const other = await t.card(5000);
    const cur = await buy(other, monthly.id, { amount: 300 });
    await age(other, 20);
    const adv = await buy(other, monthly.id, { amount: 250 });
    expect((await status(other)).validUntil).toBe(adv.expiresAt);
    const r2 = await cancel(adv.periodId, { reason: 'renewal bought twice', refund: 'pro-rata' });
    expect(r2.statusCode).toBe(200);
    // Not started: unused in full; the current period is untouched and still valid.
    expect(r2.json()).toMatchObject({ refunded: [{ asset: 'EUR', amount: 250 }], badge: { returned: 1 } });
    expect(r2.json().periods).toHaveLength(1);
    const after = await status(other);
    expect(after.state).toBe('valid');
    expect(Date.parse(after.validUntil)).toBe(Date.parse(cur.expiresAt) - 20 * DAY);
    expect((await leaseOf(other)).state).toBe('valid');
    expect(await balanceOf(getDb(), other)).toBe(5000 - 300);
    expect((await periodRow(cur.periodId)).cancelled_at).toBeNull();
    await assertBalanced(getDb());
  });

  it('a fee paid through the provider comes back to the wallet as refundable EUR; an amount chosen by the admin', async () => {
    const card = await t.card(100);
    const open = await app.inject({
      method: 'POST',
      url: `/v1/venues/${t.f.bar}/memberships/checkout`,
      headers: { ...auth(t.tokens.barCashier), 'idempotency-key': id('idem') },
      payload: { productId: yearly.id, cardUid: card, successUrl: `${BASE}/ok`, cancelUrl: `${BASE}/ko` },
    });
    expect(open.statusCode).toBe(201);
    const paid = await app.inject({
      method: 'POST',
      url: '/v1/payments/fakepay/webhook',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ id: id('evt'), sessionId: open.json().sessionId }),
    });
    expect(paid.json().outcome).toBe('credited');
    let periodId: string | null = null;
    for (let i = 0; i < 100 && !periodId; i++) {
      const { rows } = await getDb().query<{ period_id: string | null }>(
        "SELECT period_id FROM membership_checkouts WHERE session_id = $1 AND status = 'settled'",
        [open.json().sessionId],
      );
      periodId = rows[0]?.period_id ?? null;
      if (!periodId) await new Promise((r) => setTimeout(r, 20));
    }
    expect(periodId).not.toBeNull();
    // The online top-up covered the fee: the 1 € already there is untouched.
    expect(await balanceOf(getDb(), card)).toBe(100);
    const r = await cancel(periodId!, { reason: 'membre démissionnaire', refund: 'amount', amount: 700 });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({
      refunded: [{ asset: 'EUR', amount: 700 }],
      periods: [{ paidBy: 'fakepay', amount: 1200, refund: 700 }],
      badge: { returned: 1 },
    });
    // Back on the wallet as federated EUR, which the holder can have paid out like any top-up.
    expect(await balanceOf(getDb(), card)).toBe(800);
    const refundable = await getDb().query<{ refundable: boolean }>(
      "SELECT refundable FROM assets WHERE federation_id = $1 AND code = 'EUR'",
      [t.f.fed],
    );
    expect(refundable.rows[0].refundable).toBe(true);
    expect((await periodRow(periodId!)).refund).toBe('700');
    await assertBalanced(getDb());
    await verifyLog(getDb());
  });

  it('replay answers the first result; another key is a 409 already-cancelled; same key other body is a conflict', async () => {
    const card = await t.card(5000);
    const p = await buy(card, yearly.id);
    const key = id('idem');
    const body = { reason: 'bought by mistake', refund: 'full' };
    const first = await cancel(p.periodId, body, { idem: key });
    expect(first.statusCode).toBe(200);
    const log = await logCount();
    const replay = await cancel(p.periodId, body, { idem: key });
    expect(replay.statusCode).toBe(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toEqual(first.json());
    const conflict = await cancel(p.periodId, { ...body, refund: 'none' }, { idem: key });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json().error).toBe('idempotency-conflict');
    const second = await cancel(p.periodId, body);
    expect(second.statusCode).toBe(409);
    expect(second.json().error).toBe('already-cancelled');
    expect(second.json().message).toContain(first.json().cancelledAt);
    expect(await logCount()).toBe(log);
    expect(await balanceOf(getDb(), card)).toBe(5000);
    const noKey = await cancel(p.periodId, body, { idem: null });
    expect(noKey.statusCode).toBe(400);
    await assertBalanced(getDb());
  });

  it('tenant isolation: other venue, other role, gateway → refused, nothing changes', async () => {
    const card = await t.card(5000);
    const p = await buy(card, yearly.id);
    const cafeCard = await t.card(5000, t.f.cafe);
    const cp = await buy(cafeCard, cafeProduct.id, {}, t.f.cafe);
    const before = await snapshot(card, p.periodId);
    const cafeBefore = await periodRow(cp.periodId);
    const body = { reason: 'not mine', refund: 'full' };
    const wrongVenue = await cancel(p.periodId, body, { who: 'cafeAdmin' });
    expect(wrongVenue.statusCode).toBe(403);
    expect(wrongVenue.json().error).toBe('wrong-venue');
    const ownVenue = await cancel(p.periodId, body, { who: 'cafeAdmin', venue: t.f.cafe });
    expect(ownVenue.statusCode).toBe(404);
    expect(ownVenue.json().error).toBe('unknown-membership');
    expect((await cancel(p.periodId, body, { who: 'barCashier' })).statusCode).toBe(403);
    expect((await cancel(p.periodId, body, { who: 'barGateway' })).statusCode).toBe(403);
    // The café's own membership is cancelled by the café, never by the bar's admin.
    expect((await cancel(cp.periodId, body, { who: 'barAdmin', venue: t.f.bar })).statusCode).toBe(404);
    expect(await snapshot(card, p.periodId)).toEqual(before);
    expect(await periodRow(cp.periodId)).toEqual(cafeBefore);
    // The federation admin may act for the selling venue.
    const fed = await cancel(
      cp.periodId,
      { reason: 'statuts', refund: 'none' },
      { who: 'fed', venue: t.f.cafe },
    );
    expect(fed.statusCode).toBe(200);
    expect(fed.json()).toMatchObject({ refunded: [], badge: { returned: 1 } });
    expect((await status(cafeCard, t.f.cafe)).state).toBe('expired');
    await assertBalanced(getDb());
  });

  it('bad input is refused with a clear error and changes nothing', async () => {
    const card = await t.card(5000);
    const p = await buy(card, yearly.id);
    const before = await snapshot(card, p.periodId);
    const bad: [object, string][] = [
      [{ reason: 'x', refund: 'full' }, 'bad-request'], // reason too short
      [{ reason: '     ', refund: 'full' }, 'bad-request'],
      [{ refund: 'full' }, 'bad-request'],
      [{ reason: 'mistake', refund: 'amount', amount: -5 }, 'bad-request'],
      [{ reason: 'mistake', refund: 'amount', amount: 12.5 }, 'bad-request'],
      [{ reason: 'mistake', refund: 'amount', amount: '500' }, 'bad-request'],
      [{ reason: 'mistake', refund: 'amount' }, 'bad-request'],
      [{ reason: 'mistake', refund: 'full', amount: 500 }, 'bad-request'],
      [{ reason: 'mistake', amount: 500 }, 'bad-request'],
      [{ reason: 'mistake', refund: 'half' }, 'bad-request'],
      [{ reason: 'mistake', refund: 'full', extra: 1 }, 'bad-request'],
      [{ reason: 'mistake', refund: 'amount', amount: 1201 }, 'refund-exceeds-fee'],
    ];
    for (const [body, error] of bad) {
      const r = await cancel(p.periodId, body);
      expect(r.statusCode, JSON.stringify(body)).toBe(400);
      expect(r.json().error).toBe(error);
      expect(r.json().message).toBeTruthy();
    }
    const unknown = await cancel('00000000-0000-4000-8000-000000000000', { reason: 'mistake' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: 'unknown-membership' });
    expect((await cancel('not-a-uuid', { reason: 'mistake' })).statusCode).toBe(400);
    expect(await snapshot(card, p.periodId)).toEqual(before);
    // An ended membership cannot be cancelled any more.
    await age(card, 400);
    const ended = await cancel(p.periodId, { reason: 'too late', refund: 'full' });
    expect(ended.statusCode).toBe(409);
    expect(ended.json().error).toBe('membership-ended');
    await assertBalanced(getDb());
  });

  it('a refund the venue account cannot cover is refused (no overdraft), nothing changes', async () => {
    const card = await t.card(5000, t.f.cafe);
    const p = await buy(card, cafeProduct.id, {}, t.f.cafe);
    // The café's EUR leaves its account (paid out): only 100 left.
    const held = await venueEur(t.f.cafe);
    await getDb().tx(async (tx) => {
      const engine = await PostingEngine.begin(tx);
      const [res] = await engine.apply([
        {
          id: id('payout'),
          venueId: t.f.cafe,
          kind: 'payout',
          bodyHash: Buffer.alloc(32),
          at: Date.now(),
          postings: [
            {
              asset: 'EUR',
              from: sys.venue(t.f.cafe),
              to: sys.payout(t.f.cafe),
              amount: held - 100,
              kind: 'payout',
            },
          ],
        },
      ]);
      expect(res.status).toBe('applied');
    });
    const badgeBefore = await balanceOf(getDb(), card, cafeProduct.badgeAsset);
    const r = await cancel(
      p.periodId,
      { reason: 'leaving', refund: 'full' },
      { who: 'cafeAdmin', venue: t.f.cafe },
    );
    expect(r.statusCode).toBe(409);
    expect(r.json().error).toBe('insufficient-funds');
    expect(r.json().message).toMatch(/venue account cannot cover/);
    expect(await venueEur(t.f.cafe)).toBe(100);
    expect(await balanceOf(getDb(), card, cafeProduct.badgeAsset)).toBe(badgeBefore);
    expect((await periodRow(p.periodId)).cancelled_at).toBeNull();
    expect((await status(card, t.f.cafe)).state).toBe('valid');
    await assertBalanced(getDb());
    await verifyLog(getDb());
  });

  describe('renewal reminders off and on again', () => {
    const email = `ada-${id()}@example.org`.toLowerCase();
    let card = '';
    let walletId = 0;
    let period: { periodId: string; expiresAt: string };

    const cookieOf = (r: LightMyRequestResponse) => {
      const c = r.cookies.find((x) => x.name === 'tb_holder');
      if (!c) throw new Error('no session cookie');
      return `tb_holder=${c.value}`;
    };
    const login = async () => {
      await app.inject({ method: 'POST', url: '/me/login?lang=en', payload: { email } });
      const { rows } = await getDb().query<{ body: string }>(
        "SELECT body FROM email_outbox WHERE to_address = $1 AND kind = 'holder-login' ORDER BY id DESC LIMIT 1",
        [email],
      );
      const m = /https:\/\/coop\.example(\/me\/auth\/[^\s?]+)/.exec(rows[0].body);
      const r = await app.inject({ method: 'GET', url: m![1] });
      expect(r.statusCode).toBe(302);
      return cookieOf(r);
    };
    /** The holder's memberships page of the wallet, in English. */
    const membershipsPage = async (cookie: string) =>
      (
        await app.inject({
          method: 'GET',
          url: `/me/wallets/${walletId}/memberships?lang=en`,
          headers: { cookie },
        })
      ).body;
    const form = (url: string, cookie: string, payload: Record<string, string>) =>
      app.inject({
        method: 'POST',
        url,
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams(payload).toString(),
      });
    const reminded = async (now: number) => {
      await queueMembershipReminders(getDb(), { baseUrl: BASE, now });
      const { rows } = await getDb().query(
        "SELECT 1 FROM email_outbox WHERE to_address = $1 AND kind = 'membership-reminder'",
        [email],
      );
      return rows.length;
    };

    beforeAll(async () => {
      const person = await t.post('barCashier', `/v1/venues/${t.f.bar}/people`, {
        displayName: 'Ada',
        email,
      });
      card = await t.card(5000);
      await t.post('barCashier', `/v1/venues/${t.f.bar}/wallets/merge`, {
        cardUid: card,
        personId: person.json().personId,
      });
      const w = await getDb().query<{ w: string }>('SELECT wallet_id::text AS w FROM cards WHERE uid = $1', [
        card,
      ]);
      walletId = Number(w.rows[0].w);
      period = await buy(card, monthly.id, { amount: 300 });
    });

    it('the holder stops them on /me (CSRF), the period stays valid, the job sends nothing', async () => {
      const cookie = await login();
      const url = `/me/wallets/${walletId}/memberships/${monthly.id}/reminders?lang=en`;
      const page = await membershipsPage(cookie);
      expect(page).toContain('Renewal reminders on.');
      expect(page).toContain('Adhésion &lt;annuelle&gt;');
      expect(page).not.toContain('Adhésion <annuelle>');
      const csrf =
        /action="\/me\/wallets\/\d+\/memberships\/[0-9a-f-]+\/reminders\?lang=en">\s*<input type="hidden" name="csrf" value="([^"]+)"/.exec(
          page,
        )![1];
      // Without the CSRF token: refused, nothing changes.
      const forged = await form(url, cookie, { enabled: 'off', csrf: 'nope' });
      expect(forged.statusCode).toBe(403);
      expect((await periodRow(period.periodId)).reminders_off_at).toBeNull();
      const bad = await form(url, cookie, { enabled: 'maybe', csrf });
      expect(bad.statusCode).toBe(400);
      // Another wallet (not this person's): refused.
      const other = await t.card(1000);
      const ow = await getDb().query<{ w: string }>('SELECT wallet_id::text AS w FROM cards WHERE uid = $1', [
        other,
      ]);
      const stolen = await form(
        `/me/wallets/${ow.rows[0].w}/memberships/${monthly.id}/reminders?lang=en`,
        cookie,
        { enabled: 'off', csrf },
      );
      expect(stolen.statusCode).toBe(403);
      const off = await form(url, cookie, { enabled: 'off', csrf });
      expect(off.statusCode).toBe(200);
      expect(off.body).toContain('Reminders stopped. Your membership stays valid until');
      expect(off.body).toContain('Turn renewal reminders back on');
      expect((await periodRow(period.periodId)).reminders_off_at).not.toBeNull();
      expect((await status(card)).state).toBe('valid');
      expect(await reminded(Date.parse(period.expiresAt) - 5 * DAY)).toBe(0);
      // French too.
      const fr = await form(url.replace('lang=en', 'lang=fr'), cookie, { enabled: 'off', csrf });
      expect(fr.body).toContain('Réactiver les rappels de renouvellement');
      // No running membership of that product: a clear refusal.
      const none = await form(
        `/me/wallets/${walletId}/memberships/${cafeProduct.id}/reminders?lang=en`,
        cookie,
        {
          enabled: 'off',
          csrf,
        },
      );
      expect(none.statusCode).toBe(409);
      expect(none.body).toContain('No running membership for this product.');
    });

    it('staff turn them back on through the API; the job queues the reminder again', async () => {
      const put = (who: Who, venue: string, periodId: string, payload: object) =>
        t.f.app.inject({
          method: 'PUT',
          url: `/v1/venues/${venue}/memberships/${periodId}/reminders`,
          headers: auth(t.tokens[who]),
          payload,
        });
      expect((await put('barCashier', t.f.bar, period.periodId, { enabled: 'yes' })).statusCode).toBe(400);
      expect((await put('barCashier', t.f.bar, uidLike(), { enabled: true })).statusCode).toBe(404);
      const foreign = await put('cafeAdmin', t.f.cafe, period.periodId, { enabled: true });
      expect(foreign.statusCode).toBe(404);
      expect((await periodRow(period.periodId)).reminders_off_at).not.toBeNull();
      const on = await put('barCashier', t.f.bar, period.periodId, { enabled: true });
      expect(on.statusCode).toBe(200);
      expect(on.json()).toMatchObject({ periodId: period.periodId, reminders: true, walletId });
      expect(await reminded(Date.parse(period.expiresAt) - 5 * DAY)).toBe(1);
      const off = await put('barAdmin', t.f.bar, period.periodId, { enabled: false });
      expect(off.json().reminders).toBe(false);
    });

    it('after a cancellation: the holder is told by email and the page says so; no reminders', async () => {
      const r = await cancel(period.periodId, { reason: 'départ', refund: 'none' });
      expect(r.statusCode).toBe(200);
      const mail = await getDb().query<{ subject: string; body: string }>(
        "SELECT subject, body FROM email_outbox WHERE to_address = $1 AND kind = 'membership-cancelled'",
        [email],
      );
      expect(mail.rows).toHaveLength(1);
      expect(mail.rows[0].body).toContain('départ');
      const cookie = await login();
      const page = await membershipsPage(cookie);
      expect(page).toContain('Cancelled by the venue on');
      expect(page).not.toContain('Renewal reminders on.');
      // Even with reminders on and no step sent yet, a cancelled period gets none.
      const sent = await getDb().query(
        "SELECT 1 FROM email_outbox WHERE to_address = $1 AND kind = 'membership-reminder'",
        [email],
      );
      await getDb().query(
        "UPDATE membership_periods SET reminders_off_at = NULL, reminded_steps = '[]' WHERE id = $1",
        [period.periodId],
      );
      expect(await reminded(Date.parse(period.expiresAt) - 5 * DAY)).toBe(sent.rows.length);
      expect(await reminded(Date.parse(period.expiresAt) - 2 * DAY)).toBe(sent.rows.length);
      await assertBalanced(getDb());
    });
  });
});

const uidLike = () => `${uid().toLowerCase().slice(0, 8)}-0000-4000-8000-000000000000`;
