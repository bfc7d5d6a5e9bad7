// Buying tickets from the public event page as a holder: login first (and back to the purchase),
// paid from the wallet balance (CSRF required, one order per form) or by bank card through a
// Stripe-like local server (webhook → top-up → one order, even when the webhook is replayed; if
// the seats went meanwhile, the money stays on the wallet and the page says so).
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { num } from '../../src/db/connect.js';
import { createCloud, StripeCheckout } from '../../src/index.js';
import { assertBalanced, withBothDatabases } from '../helpers/databases.js';
import { API_KEY, type FakeStripe, fakeStripe } from '../helpers/fake-stripe.js';
import { id } from '../helpers/fixture.js';
import { balanceOf, inHours, type TicketingCtx, ticketingContext } from '../ticketing/setup.js';

const BASE = 'https://coop.example';

withBothDatabases('holder buys tickets', (getDb) => {
  let t: TicketingCtx;
  let stripe: FakeStripe;
  let app: Awaited<ReturnType<typeof createCloud>>['app'];
  let close: () => Promise<void>;
  const email = `bob-${id()}@example.org`.toLowerCase();
  let card = '';
  let walletId = 0;
  let cookie = '';

  const get = (url: string, c = cookie) =>
    app.inject({ method: 'GET', url, headers: c ? { cookie: c } : {} });
  const form = (url: string, payload: Record<string, string>, c = cookie) =>
    app.inject({
      method: 'POST',
      url,
      headers: { cookie: c, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams(payload).toString(),
    });
  const field = (html: string, name: string) => {
    const m = new RegExp(`name="${name}" value="([^"]+)"`).exec(html);
    if (!m) throw new Error(`no ${name} field`);
    return m[1]!;
  };
  const cookieOf = (r: LightMyRequestResponse, name: string) => r.cookies.find((x) => x.name === name);
  const orders = async (eventId: string) =>
    num(
      (
        await getDb().query<{ n: unknown }>(
          'SELECT count(*) AS n FROM ticket_orders WHERE event_id = $1 AND wallet_id = $2',
          [eventId, walletId],
        )
      ).rows[0]!.n,
    );
  /** The buy page's form fields for one line. */
  const buyForm = async (
    eventId: string,
    line: { categoryId: string; audience?: string; quantity?: number },
  ) => {
    const page = await get(`/me/events/${eventId}/buy?lang=en`);
    expect(page.statusCode).toBe(200);
    return {
      csrf: field(page.body, 'csrf'),
      key: field(page.body, 'key'),
      walletId: String(walletId),
      categoryId: line.categoryId,
      audience: line.audience ?? 'full',
      quantity: String(line.quantity ?? 1),
      pay: 'wallet',
    };
  };
  const webhook = (eventId: string, sessionId: string) => {
    const { payload, signature } = stripe.completed(eventId, sessionId);
    return app.inject({
      method: 'POST',
      url: '/v1/payments/stripe/webhook',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      payload,
    });
  };
  const checkoutStatus = async (sessionId: string) => {
    // Settled after the webhook's answer (onResponse): wait for it.
    for (let i = 0; i < 100; i++) {
      const { rows } = await getDb().query<{ status: string; failure: string | null; id: string }>(
        'SELECT id, status, failure FROM ticket_checkouts WHERE session_id = $1',
        [sessionId],
      );
      if (rows[0] && rows[0].status !== 'pending') return rows[0];
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('checkout never settled');
  };

  beforeAll(async () => {
    t = await ticketingContext(getDb());
    stripe = await fakeStripe();
    const cloud = await createCloud({
      db: getDb(),
      masterKey: t.f.masterKey,
      publicUrl: BASE,
      rateLimits: false,
      payments: new StripeCheckout({
        apiKey: API_KEY,
        webhookSecret: stripe.secret,
        baseUrl: stripe.baseUrl,
      }),
    });
    app = cloud.app;
    close = cloud.close;
    const personId = (
      await t.post('barCashier', `/v1/venues/${t.f.bar}/people`, { displayName: 'Bob', email })
    ).json().personId;
    card = await t.card(5000);
    await t.post('barCashier', `/v1/venues/${t.f.bar}/wallets/merge`, { cardUid: card, personId });
    walletId = Number(
      (await getDb().query<{ id: string }>('SELECT id::text FROM wallets WHERE person_id = $1', [personId]))
        .rows[0]!.id,
    );
  }, 60_000);
  afterAll(async () => {
    await close?.();
    await stripe?.close();
    await t?.close();
  });

  it('the event page leads to the purchase, through the emailed login link and back', async () => {
    const e = await t.createEvent({ title: 'Jazz <script>alert(1)</script>' });
    const pub = await get(`/agenda/events/${e.id}?lang=fr`, '');
    expect(pub.statusCode).toBe(200);
    expect(pub.body).toContain('Jazz &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(pub.body).toContain(`action="/me/events/${e.id}/buy"`);
    expect(pub.body).toContain(`name="categoryId" value="${e.categories[0]!.id}"`);
    expect(pub.body).toContain('>Acheter</button>');

    const target = `/me/events/${e.id}/buy?lang=fr&categoryId=${e.categories[0]!.id}&audience=reduced&quantity=2`;
    const anon = await get(target, '');
    expect(anon.statusCode).toBe(302);
    expect(anon.headers.location).toBe('/me/login?lang=fr');
    const next = cookieOf(anon, 'tb_next')!;
    expect(next).toMatchObject({ value: target, httpOnly: true, path: '/me' });

    await app.inject({ method: 'POST', url: '/me/login?lang=fr', payload: { email } });
    const mail = (
      await getDb().query<{ body: string }>(
        "SELECT body FROM email_outbox WHERE to_address = $1 AND kind = 'holder-login' ORDER BY id DESC LIMIT 1",
        [email],
      )
    ).rows[0]!;
    const link = /https:\/\/coop\.example(\/me\/auth\/[^\s?]+)/.exec(mail.body)![1]!;
    const signedIn = await app.inject({
      method: 'GET',
      url: link,
      headers: { cookie: `tb_next=${encodeURIComponent(target)}` },
    });
    expect(signedIn.statusCode).toBe(302);
    expect(signedIn.headers.location).toBe(target);
    cookie = `tb_holder=${cookieOf(signedIn, 'tb_holder')!.value}`;

    const page = await get(target);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Jazz &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.body).not.toContain('<script>alert(1)');
    expect(page.body).toMatch(/<option value="reduced" selected>/);
    expect(page.body).toContain('value="2"');
    expect(page.body).toContain(`name="walletId" value="${walletId}" checked`);
  });

  it('pays from the wallet: CSRF required, one order per form, then my tickets with their QR links', async () => {
    const e = await t.createEvent({ title: 'Bal <b>folk</b>' });
    const fields = await buyForm(e.id, { categoryId: e.categories[0]!.id, audience: 'reduced', quantity: 2 });
    const before = await balanceOf(getDb(), card);
    const noCsrf = await form(`/me/events/${e.id}/buy?lang=en`, { ...fields, csrf: '' });
    expect(noCsrf.statusCode).toBe(403);
    const forged = await form(`/me/events/${e.id}/buy?lang=en`, { ...fields, csrf: 'A'.repeat(43) });
    expect(forged.statusCode).toBe(403);
    expect(forged.body).toContain('Form expired');
    expect(await orders(e.id)).toBe(0);
    expect(await balanceOf(getDb(), card)).toBe(before);

    const ok = await form(`/me/events/${e.id}/buy?lang=en`, fields);
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toMatch(new RegExp(`^/me/wallets/${walletId}/tickets\\?lang=en&order=`));
    // Double click: the same form gives the same order.
    const again = await form(`/me/events/${e.id}/buy?lang=en`, fields);
    expect(again.headers.location).toBe(ok.headers.location);
    expect(await orders(e.id)).toBe(1);
    expect(await balanceOf(getDb(), card)).toBe(before - 2 * 1000);

    const mine = await get(ok.headers.location as string);
    expect(mine.statusCode).toBe(200);
    expect(mine.body).toContain('Bal &lt;b&gt;folk&lt;/b&gt;');
    const qrLinks = [...mine.body.matchAll(/href="(\/tickets\/[^"?]+)\?lang=en"/g)].map((m) => m[1]!);
    expect(qrLinks.length).toBeGreaterThanOrEqual(2);
    const qr = await get(qrLinks[0]!, '');
    expect(qr.statusCode).toBe(200);
    expect(qr.body).toContain('<svg');
    await assertBalanced(getDb());
  });

  it('says why a wallet purchase is refused, and buys nothing', async () => {
    const e = await t.createEvent({
      title: 'Opéra',
      categories: [
        { name: 'Loge', capacity: 1, prices: { full: 1000, member: 500 } },
        { name: 'Balcon', capacity: null, prices: { full: 90_000 } },
      ],
    });
    const [loge, balcon] = e.categories;
    const post = async (line: { categoryId: string; audience?: string; quantity?: number }) =>
      form(`/me/events/${e.id}/buy?lang=en`, await buyForm(e.id, line));
    const member = await post({ categoryId: loge!.id, audience: 'member' });
    expect(member.statusCode).toBe(403);
    expect(member.body).toContain('for members only');
    const poor = await post({ categoryId: balcon!.id });
    expect(poor.body).toContain('Not enough balance');
    const many = await post({ categoryId: loge!.id, quantity: 2 });
    expect(many.statusCode).toBe(409);
    expect(many.body).toContain('Sold out');
    const bad = await form(`/me/events/${e.id}/buy?lang=en`, {
      ...(await buyForm(e.id, { categoryId: loge!.id })),
      quantity: '11',
    });
    expect(bad.statusCode).toBe(400);
    expect(await orders(e.id)).toBe(0);
    // Sold out: no buy button on the public page for that category.
    expect((await t.buy(await t.card(5000), e)).statusCode).toBe(201);
    const pub = await get(`/agenda/events/${e.id}?lang=en`, '');
    expect(pub.body).not.toContain(`name="categoryId" value="${loge!.id}"`);
    expect(pub.body).toContain(`name="categoryId" value="${balcon!.id}"`);
  });

  it('pays the missing amount by card: webhook → top-up → one order, even when replayed', async () => {
    const e = await t.createEvent({
      title: 'Rock',
      categories: [{ name: 'Fosse', capacity: 10, prices: { full: 4000 } }],
    });
    const balance = await balanceOf(getDb(), card);
    const fields = {
      ...(await buyForm(e.id, { categoryId: e.categories[0]!.id, quantity: 2 })),
      pay: 'card',
    };
    const r = await form(`/me/events/${e.id}/buy?lang=en`, fields);
    expect(r.statusCode).toBe(303);
    const sessionId = /\/c\/pay\/(cs_test_[^/?]+)$/.exec(r.headers.location as string)![1]!;
    const s = stripe.sessions.get(sessionId)!;
    expect(s.amount).toBe(8000 - balance);
    expect(s.successUrl).toMatch(new RegExp(`^${BASE}/me/events/${e.id}/buy/return\\?checkout=`));
    // The same form again: the same session, no second charge.
    expect((await form(`/me/events/${e.id}/buy?lang=en`, fields)).headers.location).toBe(r.headers.location);
    expect(stripe.sessions.size).toBe(1);

    // Back from the provider before its webhook: the page waits.
    const back = new URL(s.successUrl).pathname + new URL(s.successUrl).search;
    const early = await get(back);
    expect(early.statusCode).toBe(202);
    expect(early.body).toContain('Payment being confirmed');

    const paid = await webhook(`evt_${id()}`, sessionId);
    expect(paid.json().outcome).toBe('credited');
    expect((await checkoutStatus(sessionId)).status).toBe('settled');
    const replay = await webhook(`evt_${id()}`, sessionId);
    expect(replay.json().outcome).toBe('already-paid');
    expect(await orders(e.id)).toBe(1);
    expect(await balanceOf(getDb(), card)).toBe(0);

    const done = await get(back);
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toMatch(new RegExp(`^/me/wallets/${walletId}/tickets`));
    const mine = await get(done.headers.location as string);
    expect(mine.body).toContain('Rock');
    await assertBalanced(getDb());
  });

  it('seats gone while paying: the money stays on the wallet and the page says so', async () => {
    const e = await t.createEvent({
      title: 'Dernière place',
      categories: [{ name: 'Unique', capacity: 1, prices: { full: 3000 } }],
    });
    const balance = await balanceOf(getDb(), card);
    const r = await form(`/me/events/${e.id}/buy?lang=fr`, {
      ...(await buyForm(e.id, { categoryId: e.categories[0]!.id })),
      pay: 'card',
    });
    const sessionId = /\/c\/pay\/(cs_test_[^/?]+)$/.exec(r.headers.location as string)![1]!;
    const charged = stripe.sessions.get(sessionId)!.amount;
    // Someone at the till takes the last seat first.
    expect((await t.buy(await t.card(5000), e)).statusCode).toBe(201);
    await webhook(`evt_${id()}`, sessionId);
    expect(await checkoutStatus(sessionId)).toMatchObject({ status: 'failed', failure: 'sold-out' });
    expect(await orders(e.id)).toBe(0);
    expect(await balanceOf(getDb(), card)).toBe(balance + charged);
    const s = stripe.sessions.get(sessionId)!;
    const page = await get(new URL(s.successUrl).pathname + new URL(s.successUrl).search);
    expect(page.statusCode).toBe(409);
    expect(page.body).toContain('Complet');
    expect(page.body).toContain('L’argent reste disponible sur votre porte-monnaie');
    await assertBalanced(getDb());
  });

  it('another holder cannot read this checkout nor buy with this wallet', async () => {
    const e = await t.createEvent({ title: 'Privé', startsAt: inHours(5), endsAt: inHours(6) });
    const fields = await buyForm(e.id, { categoryId: e.categories[0]!.id });
    const other = await form(`/me/events/${e.id}/buy?lang=en`, { ...fields, walletId: '999999' });
    expect(other.statusCode).toBe(403);
    expect(await orders(e.id)).toBe(0);
  });
});
