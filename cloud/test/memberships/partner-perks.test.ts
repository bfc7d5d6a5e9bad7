// Partner perks on membership periods: the bar's partner rules name the café's membership (by its
// badge asset, as before, or by its product); the bar's gateway receives the café's members'
// runs in its config download and with each lease, on the same rule as its own members (an
// expired or cancelled period does not count), whatever the badge balances say. A badge no
// membership product carries is not shipped (the gateway reads its balance).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { withBothDatabases } from '../helpers/databases.js';
import { auth } from '../helpers/fixture.js';
import { balanceOf, type TicketingCtx, ticketingContext } from '../ticketing/setup.js';

withBothDatabases('partner perks on membership periods', (getDb) => {
  let t: TicketingCtx;
  let yearly: { id: string; badgeAsset: string };
  let monthly: { id: string; badgeAsset: string };
  const cards: Record<'valid' | 'expired' | 'cancelled' | 'never' | 'monthly', string> = {
    valid: '',
    expired: '',
    cancelled: '',
    never: '',
    monthly: '',
  };

  const putRule = (ruleId: string, body: object) =>
    t.f.app.inject({
      method: 'PUT',
      url: `/v1/venues/${t.f.bar}/promotions/${ruleId}`,
      headers: auth(t.tokens.barAdmin),
      payload: { id: ruleId, kind: 'partner', ...body },
    });
  const buyAtCafe = async (card: string, productId: string, extra: object = {}) => {
    const r = await t.post('cafeAdmin', `/v1/venues/${t.f.cafe}/memberships`, {
      productId,
      cardUid: card,
      ...extra,
    });
    expect(r.statusCode).toBe(201);
    return r.json() as { periodId: string };
  };
  const leases = async (list: string[]) =>
    (
      await t.f.app.inject({
        method: 'POST',
        url: '/v1/sync/leases',
        headers: auth(t.f.barKey),
        payload: { venueId: t.f.bar, cards: list },
      })
    ).json().leases as {
      cardUid: string;
      membership: { state: string; partners?: { key: string; state: string; validUntil: number | null }[] };
    }[];
  const partnersDoc = async () =>
    (await t.get('barGateway', `/v1/sync/config?venueId=${t.f.bar}`)).json().memberships.partners as {
      key: string;
      cards: { cardUid: string; validFrom: number; validUntil: number }[];
    }[];

  beforeAll(async () => {
    t = await ticketingContext(getDb());
    const mk = async (body: object) => {
      const r = await t.post('cafeAdmin', `/v1/venues/${t.f.cafe}/membership-products`, {
        scope: 'venue',
        pricing: 'fixed',
        price: 500,
        ...body,
      });
      expect(r.statusCode).toBe(201);
      return r.json();
    };
    yearly = await mk({ name: 'Adhésion café' });
    monthly = await mk({ name: 'Café au mois', durationMonths: 1 });
    for (const k of Object.keys(cards) as (keyof typeof cards)[]) cards[k] = await t.card(5000);
    await buyAtCafe(cards.valid, yearly.id);
    await buyAtCafe(cards.expired, yearly.id);
    await getDb().query(
      `UPDATE membership_periods SET starts_at = starts_at - interval '400 days', expires_at = expires_at - interval '400 days'
       WHERE wallet_id = (SELECT wallet_id FROM cards WHERE uid = $1)`,
      [cards.expired],
    );
    const c = await buyAtCafe(cards.cancelled, yearly.id);
    const cancel = await t.post('cafeAdmin', `/v1/venues/${t.f.cafe}/memberships/${c.periodId}/cancel`, {
      reason: 'départ',
      refund: 'none',
    });
    expect(cancel.statusCode).toBe(200);
    await buyAtCafe(cards.monthly, monthly.id);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it('rules name the membership by badge (as before) or by product; one of the two is required', async () => {
    expect(yearly.badgeAsset).toBe(monthly.badgeAsset); // the café's memberships share its badge
    expect((await putRule('cafe', { name: 'Café', badge: yearly.badgeAsset, pct: 10 })).statusCode).toBe(201);
    expect((await putRule('cafe-m', { name: 'Café mois', product: monthly.id, pct: 5 })).statusCode).toBe(
      201,
    );
    expect((await putRule('plain', { name: 'Amis', badge: 'BADGE:friends', pct: 5 })).statusCode).toBe(201);
    const bad = await putRule('none', { name: 'Rien', pct: 5 });
    expect(bad.statusCode).toBe(400);
    const reserved = await putRule('member-price', { name: 'X', badge: yearly.badgeAsset, pct: 5 });
    expect(reserved.statusCode).toBe(400);
    const listed = await t.get('barAdmin', `/v1/venues/${t.f.bar}/promotions`);
    expect(JSON.stringify(listed.json())).toContain(`"product":"${monthly.id}"`);
  });

  it("the config download ships each named membership's runs: expired and cancelled ones end in the past", async () => {
    const now = Date.now();
    const doc = await partnersDoc();
    // the plain badge names no membership product: not shipped
    expect(doc.map((p) => p.key)).toEqual([yearly.badgeAsset, `product:${monthly.id}`].sort());
    const byBadge = new Map(doc.find((p) => p.key === yearly.badgeAsset)!.cards.map((c) => [c.cardUid, c]));
    expect(byBadge.get(cards.valid)!.validUntil).toBeGreaterThan(now);
    expect(byBadge.get(cards.valid)!.validFrom).toBeLessThanOrEqual(now);
    expect(byBadge.get(cards.monthly)!.validUntil).toBeGreaterThan(now); // the badge names both products
    expect(byBadge.get(cards.expired)!.validUntil).toBeLessThan(now);
    expect(byBadge.get(cards.cancelled)!.validUntil).toBeLessThanOrEqual(now);
    expect(byBadge.has(cards.never)).toBe(false);
    const byProduct = doc.find((p) => p.key === `product:${monthly.id}`)!.cards.map((c) => c.cardUid);
    expect(byProduct).toEqual([cards.monthly]);
    // the expired holder keeps the badge (a keepsake): it does not count
    expect(await balanceOf(getDb(), cards.expired, yearly.badgeAsset)).toBe(1);
    // the bar's own members are not the café's
    const own = (await t.get('barGateway', `/v1/sync/config?venueId=${t.f.bar}`)).json().memberships
      .cards as {
      cardUid: string;
    }[];
    expect(own.some((c) => c.cardUid === cards.valid)).toBe(false);
  });

  it("leases carry each card's status in the named memberships", async () => {
    const ls = await leases([cards.valid, cards.expired, cards.cancelled, cards.never, cards.monthly]);
    const states = ls.map((l) => [
      l.membership.state,
      ...(l.membership.partners ?? []).map(
        (p) => `${p.key === yearly.badgeAsset ? 'badge' : 'product'}:${p.state}`,
      ),
    ]);
    const order = [yearly.badgeAsset, `product:${monthly.id}`].sort()[0] === yearly.badgeAsset;
    const row = (badge: string, product: string) => (order ? [badge, product] : [product, badge]);
    expect(states).toEqual([
      ['none', ...row('badge:valid', 'product:none')],
      ['none', ...row('badge:expired', 'product:none')],
      ['none', ...row('badge:expired', 'product:none')],
      ['none', ...row('badge:none', 'product:none')],
      ['none', ...row('badge:valid', 'product:valid')],
    ]);
  });

  it('a venue without partner rules: leases and config as before', async () => {
    const r = await t.f.app.inject({
      method: 'POST',
      url: '/v1/sync/leases',
      headers: auth(t.f.cafeKey),
      payload: { venueId: t.f.cafe, cards: [cards.valid] },
    });
    expect(r.json().leases[0].membership).toEqual({
      state: 'valid',
      validFrom: expect.any(Number),
      validUntil: expect.any(Number),
    });
    const cfg = (await t.get('cafeGateway', `/v1/sync/config?venueId=${t.f.cafe}`)).json();
    expect(cfg.memberships.partners).toEqual([]);
  });
});
