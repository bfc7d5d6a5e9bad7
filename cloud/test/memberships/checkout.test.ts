// A membership paid through the payment provider: the checkout tops the card up through the
// existing webhook, then the membership is bought from the wallet (settled once, also when the
// webhook is replayed). The provider here is a stand-in with the PaymentProvider interface.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCloud } from '../../src/index.js';
import type { CheckoutRequest, PaidSession, PaymentProvider } from '../../src/payments/provider.js';
import { assertBalanced, withBothDatabases } from '../helpers/databases.js';
import { auth, id } from '../helpers/fixture.js';
import { balanceOf, type TicketingCtx, ticketingContext } from '../ticketing/setup.js';

class FakePay implements PaymentProvider {
  readonly name = 'fakepay';
  readonly sessions = new Map<string, CheckoutRequest>();
  async createCheckout(req: CheckoutRequest) {
    const sessionId = `cs_${id()}`;
    this.sessions.set(sessionId, req);
    return { sessionId, url: `https://pay.example/${sessionId}` };
  }
  parseWebhook(raw: string, headers: Record<string, string | string[] | undefined>): PaidSession | null {
    if (headers['x-fakepay-signature'] !== 'valid')
      throw Object.assign(new Error('bad signature'), { statusCode: 400 });
    const e = JSON.parse(raw) as { id: string; sessionId: string };
    const s = this.sessions.get(e.sessionId);
    if (!s) return null;
    return {
      eventId: e.id,
      sessionId: e.sessionId,
      reference: s.reference,
      amount: s.amount,
      currency: 'eur',
    };
  }
}

withBothDatabases('membership paid through the payment provider', (getDb) => {
  let t: TicketingCtx;
  let cloud: Awaited<ReturnType<typeof createCloud>>;
  const pay = new FakePay();
  let productId = '';

  beforeAll(async () => {
    t = await ticketingContext(getDb());
    cloud = await createCloud({ db: getDb(), masterKey: t.f.masterKey, payments: pay, rateLimits: false });
    const p = await t.post('barAdmin', `/v1/venues/${t.f.bar}/membership-products`, {
      name: 'Adhésion',
      scope: 'venue',
      pricing: 'fixed',
      price: 1500,
    });
    productId = p.json().id;
  }, 60_000);
  afterAll(async () => {
    await cloud?.close();
    await t?.close();
  });

  it('checkout → webhook credits the card → the membership is settled once', async () => {
    const card = await t.card(200);
    const key = id('idem');
    const open = () =>
      cloud.app.inject({
        method: 'POST',
        url: `/v1/venues/${t.f.bar}/memberships/checkout`,
        headers: { ...auth(t.tokens.barCashier), 'idempotency-key': key },
        payload: {
          productId,
          cardUid: card,
          successUrl: 'https://coop.example/ok',
          cancelUrl: 'https://coop.example/ko',
        },
      });
    const r = await open();
    expect(r.statusCode).toBe(201);
    const c = r.json();
    expect(c).toMatchObject({ amount: 1500, status: 'pending' });
    expect(c.url).toMatch(/^https:\/\/pay\.example\//);
    // Same key: same session, no second checkout at the provider.
    expect((await open()).json().sessionId).toBe(c.sessionId);
    expect(pay.sessions.size).toBe(1);
    const status = async () =>
      (
        await cloud.app.inject({
          method: 'GET',
          url: `/v1/venues/${t.f.bar}/cards/${card}/membership`,
          headers: auth(t.tokens.barCashier),
        })
      ).json().state;
    expect(await status()).toBe('none');
    const hook = (eventId: string, sig = 'valid') =>
      cloud.app.inject({
        method: 'POST',
        url: '/v1/payments/fakepay/webhook',
        headers: { 'content-type': 'application/json', 'x-fakepay-signature': sig },
        payload: JSON.stringify({ id: eventId, sessionId: c.sessionId }),
      });
    expect((await hook('evt-forged', 'nope')).statusCode).toBe(400);
    const paid = await hook('evt-1');
    expect(paid.json().outcome).toBe('credited');
    // Settled right after the webhook's answer (onResponse), without anyone looking.
    for (let i = 0; i < 100; i++) {
      const { rows } = await getDb().query<{ status: string }>(
        'SELECT status FROM membership_checkouts WHERE session_id = $1',
        [c.sessionId],
      );
      if (rows[0].status === 'settled') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await status()).toBe('valid');
    expect((await hook('evt-1')).json().outcome).toBe('duplicate');
    expect((await hook('evt-2')).json().outcome).toBe('already-paid');
    expect(await status()).toBe('valid');
    const periods = await getDb().query(
      'SELECT paid_by FROM membership_periods WHERE wallet_id = (SELECT wallet_id FROM cards WHERE uid = $1)',
      [card],
    );
    expect(periods.rows).toEqual([{ paid_by: 'fakepay' }]);
    // The 2 € already on the card are untouched: the payment covered the fee exactly.
    expect(await balanceOf(getDb(), card)).toBe(200);
    expect(await balanceOf(getDb(), card, `MEMBER:${t.f.bar}`)).toBe(1);
    await assertBalanced(getDb());
  });
});
