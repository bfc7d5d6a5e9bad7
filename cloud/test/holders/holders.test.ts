// Holder pages: login by emailed link (single use, expiring, signed; rate-limited), my wallet
// (balances, history, refund request with CSRF), my tickets, my memberships (renew), and delegated
// access (invitation link, the guardian sees this wallet and no other, revocable).
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseEuros } from '../../src/holders/routes.js';
import { createCloud } from '../../src/index.js';
import { withBothDatabases } from '../helpers/databases.js';
import { id } from '../helpers/fixture.js';
import { type TicketingCtx, ticketingContext } from '../ticketing/setup.js';

const BASE = 'https://coop.example';

withBothDatabases('holder pages', (getDb) => {
  let t: TicketingCtx;
  let app: Awaited<ReturnType<typeof createCloud>>['app'];
  let close: () => Promise<void>;
  const email = `ada-${id()}@example.org`.toLowerCase();
  const guardianEmail = `parent-${id()}@example.org`.toLowerCase();
  let personId = '';
  let walletId = 0;
  let otherWallet = 0;
  let card = '';

  const lastMail = async (to: string, kind: string) => {
    const { rows } = await getDb().query<{ body: string; subject: string }>(
      'SELECT body, subject FROM email_outbox WHERE to_address = $1 AND kind = $2 ORDER BY id DESC LIMIT 1',
      [to, kind],
    );
    return rows[0];
  };
  const linkIn = (body: string) => {
    const m = /https:\/\/coop\.example(\/me\/(?:auth|invite)\/[^\s?]+)\?lang=(fr|en)/.exec(body);
    if (!m) throw new Error(`no link in ${body}`);
    return m[1];
  };
  const cookieOf = (r: LightMyRequestResponse) => {
    const c = r.cookies.find((x) => x.name === 'tb_holder');
    if (!c) throw new Error('no session cookie');
    return `tb_holder=${c.value}`;
  };
  /** Earlier links moved an hour back (the per-address cap counts the last hour). */
  const ageLinks = () =>
    getDb().query("UPDATE holder_links SET created_at = created_at - interval '2 hours'");
  const login = async (who: string) => {
    await ageLinks();
    const r = await app.inject({ method: 'POST', url: '/me/login?lang=en', payload: { email: who } });
    expect(r.statusCode).toBe(200);
    const mail = await lastMail(who, 'holder-login');
    const r2 = await app.inject({ method: 'GET', url: linkIn(mail.body) });
    expect(r2.statusCode).toBe(302);
    return cookieOf(r2);
  };
  const get = (url: string, cookie: string) => app.inject({ method: 'GET', url, headers: { cookie } });
  const form = (url: string, cookie: string, payload: Record<string, string>) =>
    app.inject({
      method: 'POST',
      url,
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams(payload).toString(),
    });
  const field = (html: string, name: string) => {
    const m = new RegExp(`name="${name}" value="([^"]+)"`).exec(html);
    if (!m) throw new Error(`no ${name} field`);
    return m[1];
  };

  beforeAll(async () => {
    t = await ticketingContext(getDb());
    const cloud = await createCloud({
      db: getDb(),
      masterKey: t.f.masterKey,
      publicUrl: BASE,
      rateLimits: false,
    });
    app = cloud.app;
    close = cloud.close;
    personId = (
      await t.post('barCashier', `/v1/venues/${t.f.bar}/people`, { displayName: 'Ada <b>', email })
    ).json().personId;
    card = await t.card(5000);
    await t.post('barCashier', `/v1/venues/${t.f.bar}/wallets/merge`, { cardUid: card, personId });
    const w = await getDb().query<{ id: string }>('SELECT id::text FROM wallets WHERE person_id = $1', [
      personId,
    ]);
    walletId = Number(w.rows[0].id);
    const other = await t.card(7000);
    const o = await getDb().query<{ w: string }>('SELECT wallet_id::text AS w FROM cards WHERE uid = $1', [
      other,
    ]);
    otherWallet = Number(o.rows[0].w);
    const e = await t.createEvent({ title: 'Jazz <script>' });
    expect((await t.buy(card, e)).statusCode).toBe(201);
    const p = await t.post('barAdmin', `/v1/venues/${t.f.bar}/membership-products`, {
      name: 'Adhésion',
      scope: 'venue',
      pricing: 'free',
      price: 1000,
      minPrice: 500,
    });
    expect(p.statusCode).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await close?.();
    await t?.close();
  });

  it('login link: emailed through the outbox, single use, signed; unknown addresses get the same answer', async () => {
    const r = await app.inject({ method: 'POST', url: '/me/login', payload: { email: email.toUpperCase() } });
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain('Si cette adresse est connue');
    const mail = await lastMail(email, 'holder-login');
    expect(mail.body).toContain(`${BASE}/me/auth/`);
    const path = linkIn(mail.body);
    const ok = await app.inject({ method: 'GET', url: path });
    expect(ok.statusCode).toBe(302);
    expect(ok.headers.location).toMatch(/^\/me/);
    const c = ok.cookies.find((x) => x.name === 'tb_holder')!;
    expect(c).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/me' });
    // Single use.
    expect((await app.inject({ method: 'GET', url: path })).statusCode).toBe(410);
    // Altered signature or id: refused before any lookup.
    const forged = path.replace(/.$/, (ch) => (ch === 'A' ? 'B' : 'A'));
    expect((await app.inject({ method: 'GET', url: forged })).statusCode).toBe(404);
    // Expired in the database (clock moved on): 410.
    await app.inject({ method: 'POST', url: '/me/login', payload: { email } });
    const path2 = linkIn((await lastMail(email, 'holder-login')).body);
    await getDb().query(
      "UPDATE holder_links SET expires_at = now() - interval '1 minute' WHERE used_at IS NULL AND email = $1",
      [email],
    );
    const exp = await app.inject({ method: 'GET', url: `${path2}?lang=en` });
    expect(exp.statusCode).toBe(410);
    expect(exp.body).toContain('expired');
    // Unknown address: same page, no email.
    const unknown = `nobody-${id()}@example.org`.toLowerCase();
    const u = await app.inject({ method: 'POST', url: '/me/login', payload: { email: unknown } });
    expect(u.statusCode).toBe(200);
    expect(await lastMail(unknown, 'holder-login')).toBeUndefined();
    // Not an address: the form again, 400.
    expect((await app.inject({ method: 'POST', url: '/me/login', payload: { email: 'x' } })).statusCode).toBe(
      400,
    );
    // At most 5 links per address and hour, whatever the number of requests.
    await ageLinks();
    for (let i = 0; i < 7; i++) await app.inject({ method: 'POST', url: '/me/login', payload: { email } });
    const n = await getDb().query(
      "SELECT 1 FROM holder_links WHERE email = $1 AND created_at > now() - interval '1 hour'",
      [email],
    );
    expect(n.rows).toHaveLength(5);
    // Without a session: to the login page.
    expect((await app.inject({ method: 'GET', url: '/me' })).headers.location).toMatch(/^\/me\/login/);
  });

  it('my wallet: balances, history, escaped names, FR/EN; other wallets are refused', async () => {
    const cookie = await login(email);
    const home = await get('/me?lang=en', cookie);
    expect(home.body).toContain(`Wallet #${walletId}`);
    expect(home.body).not.toContain(`#${otherWallet}<`);
    const w = await get(`/me/wallets/${walletId}?lang=fr`, cookie);
    expect(w.statusCode).toBe(200);
    expect(w.body).toContain('Soldes');
    expect(w.body).toContain('35,00'); // 50 € − a 15 € ticket
    expect(w.body).toContain('ticket');
    expect(w.body).toContain('name="viewport"');
    const en = await get(`/me/wallets/${walletId}?lang=en`, cookie);
    expect(en.body).toContain('Balances');
    expect(en.body).not.toContain('Dormancy notices');
    // A dormancy reminder recorded by the dormancy job shows as a notice.
    await getDb().query(
      "INSERT INTO dormancy_events (wallet_id, since, kind, step, at) VALUES ($1, $2, 'reminder', 0, $2)",
      [walletId, Date.now()],
    );
    const notice = await get(`/me/wallets/${walletId}?lang=en`, cookie);
    expect(notice.body).toContain('Dormancy notices');
    expect(notice.body).toContain('this wallet is inactive');
    expect((await get(`/me/wallets/${otherWallet}`, cookie)).statusCode).toBe(403);
    const tickets = await get(`/me/wallets/${walletId}/tickets?lang=en`, cookie);
    expect(tickets.body).toContain('Jazz &lt;script&gt;');
    expect(tickets.body).not.toContain('<script>');
    const qr = /href="(\/tickets\/[^"?]+)/.exec(tickets.body)![1];
    expect((await app.inject({ method: 'GET', url: qr })).statusCode).toBe(200);
  });

  it('refund request from the page: CSRF checked, then recorded once', async () => {
    const cookie = await login(email);
    const page = (await get(`/me/wallets/${walletId}?lang=en`, cookie)).body;
    const payload = { key: field(page, 'key'), cardUid: card, venueId: t.f.bar };
    const noCsrf = await form(`/me/wallets/${walletId}/refund`, cookie, { ...payload, csrf: 'x'.repeat(43) });
    expect(noCsrf.statusCode).toBe(403);
    const ok = await form(`/me/wallets/${walletId}/refund?lang=en`, cookie, {
      ...payload,
      csrf: field(page, 'csrf'),
    });
    expect(ok.statusCode).toBe(201);
    expect(ok.body).toContain('Refund request recorded');
    // The same form posted again (reload): the first answer, still one request.
    const again = await form(`/me/wallets/${walletId}/refund?lang=en`, cookie, {
      ...payload,
      csrf: field(page, 'csrf'),
    });
    expect(again.statusCode).toBe(201);
    const rows = await getDb().query(
      "SELECT requested_by FROM refund_requests WHERE card_uid = $1 AND status = 'requested'",
      [card],
    );
    expect(rows.rows).toEqual([{ requested_by: `holder:${email}` }]);
    // A new form: refused with the reason, in words.
    const page2 = (await get(`/me/wallets/${walletId}?lang=en`, cookie)).body;
    const dup = await form(`/me/wallets/${walletId}/refund?lang=en`, cookie, {
      ...payload,
      key: field(page2, 'key'),
      csrf: field(page2, 'csrf'),
    });
    expect(dup.statusCode).toBe(409);
    expect(dup.body).toContain('already pending');
    // Another wallet's card cannot be refunded from this wallet.
    const stolen = await form(`/me/wallets/${otherWallet}/refund`, cookie, {
      ...payload,
      csrf: field(page2, 'csrf'),
    });
    expect(stolen.statusCode).toBe(403);
  });

  it('my memberships: join at a free price, then the page shows the expiry', async () => {
    const cookie = await login(email);
    const page = (await get(`/me/wallets/${walletId}/memberships?lang=en`, cookie)).body;
    expect(page).toContain('Not a member');
    const base = { csrf: field(page, 'csrf'), key: field(page, 'key'), productId: field(page, 'productId') };
    const low = await form(`/me/wallets/${walletId}/memberships?lang=en`, cookie, {
      ...base,
      amount: '4,99',
    });
    expect(low.statusCode).toBe(400);
    expect(low.body).toContain('below the minimum');
    const ok = await form(`/me/wallets/${walletId}/memberships?lang=en`, cookie, {
      ...base,
      key: `${base.key}x`,
      amount: '7,50',
    });
    expect(ok.statusCode).toBe(201);
    expect(ok.body).toContain('Membership recorded until');
    expect(ok.body).toContain('Valid until');
    const st = await t.get('barCashier', `/v1/venues/${t.f.bar}/cards/${card}/membership`);
    expect(st.json().state).toBe('valid');
    expect(parseEuros('7,5')).toBe(750);
    expect(parseEuros('abc')).toBeUndefined();
  });

  it('guardian: invited by link, manages this wallet only, until revoked', async () => {
    const owner = await login(email);
    const page = (await get(`/me/wallets/${walletId}/guardians?lang=en`, owner)).body;
    const inv = await form(`/me/wallets/${walletId}/guardians?lang=en`, owner, {
      csrf: field(page, 'csrf'),
      email: guardianEmail,
    });
    expect(inv.statusCode).toBe(201);
    const mail = await lastMail(guardianEmail, 'guardian-invite');
    expect(mail.body).toContain('Ada <b>'); // plain-text email
    const link = linkIn(mail.body);
    const accepted = await app.inject({ method: 'GET', url: link });
    expect(accepted.statusCode).toBe(302);
    const guardian = cookieOf(accepted);
    expect((await app.inject({ method: 'GET', url: link })).statusCode).toBe(410);
    const w = await get(`/me/wallets/${walletId}?lang=en`, guardian);
    expect(w.statusCode).toBe(200);
    expect(w.body).toContain('Balances');
    expect((await get(`/me/wallets/${otherWallet}`, guardian)).statusCode).toBe(403);
    // A guardian cannot invite others.
    expect((await get(`/me/wallets/${walletId}/guardians`, guardian)).statusCode).toBe(403);
    // Later logins by email work for the guardian too.
    expect((await get('/me?lang=en', await login(guardianEmail))).body).toContain(`Wallet #${walletId}`);
    const g = (await get(`/me/wallets/${walletId}/guardians?lang=en`, owner)).body;
    const grant = /guardians\/(\d+)\/revoke/.exec(g)![1];
    const rv = await form(`/me/wallets/${walletId}/guardians/${grant}/revoke?lang=en`, owner, {
      csrf: field(g, 'csrf'),
    });
    expect(rv.statusCode).toBe(200);
    expect((await get(`/me/wallets/${walletId}`, guardian)).statusCode).toBe(403);
  });

  it('the login-link route is rate-limited per client address', async () => {
    const limited = await createCloud({
      db: getDb(),
      masterKey: t.f.masterKey,
      publicUrl: BASE,
      rateLimits: { login: { max: 3, timeWindow: 60_000 } },
    });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 5; i++)
        codes.push(
          (
            await limited.app.inject({
              method: 'POST',
              url: '/me/login',
              payload: { email: `x${i}@example.org` },
            })
          ).statusCode,
        );
      expect(codes).toEqual([200, 200, 200, 429, 429]);
    } finally {
      await limited.close();
    }
  });
});
