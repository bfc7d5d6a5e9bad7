// Artists' email verification through the HTTP API and the pages, on PGlite and PostgreSQL: sign-up
// leaves the account unverified (no login, nothing public) and emails a link (really sent over
// SMTP to a local server); the link's page changes nothing, its button verifies and logs in, once.
// Forged, expired and reused links are refused with no state change; an impostor's sign-up never
// locks the owner out nor sets the owner's password; resends are capped per address and per IP.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sendOutbox, smtpTransport } from '../../src/dormancy/outbox.js';
import { createCloud } from '../../src/index.js';
import { withBothDatabases } from '../helpers/databases.js';
import { id } from '../helpers/fixture.js';
import { startSmtp } from '../helpers/smtp.js';
import { type TicketingCtx, ticketingContext } from '../ticketing/setup.js';
import { VERIFY_LINK, verificationMail } from './verify-mail.js';

const PASSWORD = 'a long artist password';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

withBothDatabases('artist email verification', (getDb) => {
  let t: TicketingCtx;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  type Opts = { token?: string; payload?: unknown; headers?: Record<string, string>; ip?: string };
  const inject = (method: string, url: string, o: Opts = {}) =>
    t.f.app.inject({
      method: method as 'GET',
      url,
      headers: { ...(o.token ? { authorization: `Bearer ${o.token}` } : {}), ...o.headers },
      ...(o.payload !== undefined ? { payload: o.payload as object } : {}),
      ...(o.ip ? { remoteAddress: o.ip } : {}),
    });
  const form = (url: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    inject('POST', url, {
      headers: { ...FORM, ...headers },
      payload: new URLSearchParams(fields).toString(),
    });
  const newEmail = () => `${id('artist')}@example.org`;
  const signUp = (email: string, password = PASSWORD, name = 'Duo', lang?: string) =>
    inject('POST', '/v1/artists', { payload: { email, password, name, ...(lang ? { lang } : {}) } });
  const login = (email: string, password = PASSWORD) =>
    inject('POST', '/v1/artists/login', { payload: { email, password } });
  const verify = (token: string) => inject('POST', '/v1/artists/verify', { payload: { token } });
  const resend = (email: string, password = PASSWORD, ip?: string) =>
    inject('POST', '/v1/artists/verify/resend', { payload: { email, password }, ip });
  /** Everything a verification attempt could change for this artist. */
  const state = async (artistId: string) => {
    const db = getDb();
    const a = await db.query('SELECT email_verified_at, password_hash, name FROM artists WHERE id = $1', [
      artistId,
    ]);
    const v = await db.query(
      `SELECT encode(token_hash, 'hex') AS h, used_at, expires_at FROM artist_email_verifications
       WHERE artist_id = $1 ORDER BY h`,
      [artistId],
    );
    const s = await db.query<{ n: string }>(
      'SELECT count(*)::text AS n FROM artist_sessions WHERE artist_id = $1',
      [artistId],
    );
    return { artist: a.rows[0], links: v.rows, sessions: s.rows[0].n };
  };
  const mails = async (email: string) =>
    Number(
      (
        await getDb().query<{ n: string }>(
          "SELECT count(*)::text AS n FROM email_outbox WHERE to_address = $1 AND kind = 'artist-verify'",
          [email.toLowerCase()],
        )
      ).rows[0].n,
    );

  beforeAll(async () => {
    t = await ticketingContext(getDb());
    smtp = await startSmtp();
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it('sign-up → unverified (no login, nothing public) → emailed link over SMTP → verified and logged in, once', async () => {
    // Its own app with a public URL: links never come from the Host header then.
    const cloud = await createCloud({
      db: getDb(),
      masterKey: randomBytes(32),
      publicUrl: 'https://tibillet.example/',
      rateLimits: false,
    });
    try {
      const email = newEmail();
      const r = await cloud.app.inject({
        method: 'POST',
        url: '/v1/artists',
        payload: { email, password: PASSWORD, name: 'Les <b>Zèbres</b>', lang: 'fr' },
      });
      expect([r.statusCode, r.json()]).toEqual([
        201,
        { artistId: expect.any(String), emailVerified: false, verificationSent: true },
      ]);
      const { artistId } = r.json();

      // Not verified: login refused with a clear error; no profile, search hit or line-up.
      const refused = await login(email);
      expect([refused.statusCode, refused.json().error]).toEqual([403, 'email-unverified']);
      expect(refused.json().message).toMatch(/resend/);
      expect((await login(email, 'wrong password!!')).statusCode).toBe(401);
      expect((await inject('GET', `/v1/artists/${artistId}`)).statusCode).toBe(404);
      expect((await inject('GET', `/artists/${artistId}?lang=en`)).statusCode).toBe(404);
      const found = (await inject('GET', '/v1/artists')).json().artists as { id: string }[];
      expect(found.some((a) => a.id === artistId)).toBe(false);
      const ev = await t.createEvent({ title: 'Zèbres night' });
      const lineup = await inject('PUT', `/v1/venues/${t.f.bar}/events/${ev.id}/artists`, {
        token: t.tokens.barAdmin,
        payload: { artistIds: [artistId] },
      });
      expect([lineup.statusCode, lineup.json().error]).toEqual([404, 'unknown-artist']);

      // The outbox really goes out over SMTP, in French, with the public URL.
      const transport = smtpTransport({ host: '127.0.0.1', port: smtp.port, secure: false, ignoreTLS: true });
      try {
        expect((await sendOutbox(getDb(), transport, { from: 'noreply@tibillet.example' })).failed).toBe(0);
      } finally {
        transport.close();
      }
      const mail = smtp.received.find((m) => m.to.includes(email.toLowerCase()));
      expect(mail?.raw).toMatch(/^X-TiBillet-Kind: artist-verify$/im);
      // Quoted-printable: soft line breaks, "=" as =3D.
      const raw = mail!.raw.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
      const link = VERIFY_LINK.exec(raw);
      expect(link?.[1]).toMatch(
        /^https:\/\/tibillet\.example\/artists\/verify\/tbv_[A-Za-z0-9_-]{32}\?lang=fr$/,
      );
      const token = link![2]!;
      // Only the hash is stored.
      const stored = await getDb().query<{ j: string; mine: boolean }>(
        `SELECT row_to_json(v)::text AS j, v.token_hash = sha256(convert_to($1, 'UTF8')) AS mine
         FROM artist_email_verifications v WHERE artist_id = $2`,
        [token, artistId],
      );
      expect(stored.rows.map((x) => x.mine)).toEqual([true]);
      expect(stored.rows[0]!.j).not.toContain(token.slice(4));

      // Opening the link (or a mail scanner doing it) changes nothing; the page shows the name escaped.
      const before = await state(artistId);
      const page = await inject('GET', `/artists/verify/${token}?lang=fr`);
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('Confirmer et me connecter');
      expect(page.body).toContain('Les &lt;b&gt;Zèbres&lt;/b&gt;');
      expect(page.body).not.toContain('<b>Zèbres');
      expect(await state(artistId)).toEqual(before);
      expect((await inject('GET', `/artists/verify/${token}?lang=en`)).body).toContain('Confirm and sign in');

      // Its button: verified, logged in by cookie, on the proposal form.
      const confirmed = await form('/artists/verify', { token, lang: 'fr' });
      expect([confirmed.statusCode, confirmed.headers.location]).toEqual([
        303,
        '/artists/me/proposals/new?lang=fr',
      ]);
      const cookie = String(confirmed.headers['set-cookie']).split(';')[0]!;
      expect(String(confirmed.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict/);
      const formPage = await inject('GET', '/artists/me/proposals/new?lang=fr', { headers: { cookie } });
      expect([formPage.statusCode, formPage.body.includes('Les &lt;b&gt;Zèbres&lt;/b&gt;')]).toEqual([
        200,
        true,
      ]);
      expect((await login(email)).statusCode).toBe(200);
      expect((await inject('GET', `/v1/artists/${artistId}`)).statusCode).toBe(200);
      expect(
        (
          await inject('PUT', `/v1/venues/${t.f.bar}/events/${ev.id}/artists`, {
            token: t.tokens.barAdmin,
            payload: { artistIds: [artistId] },
          })
        ).statusCode,
      ).toBe(200);

      // Single use: the API and the page refuse it again, changing nothing.
      const after = await state(artistId);
      const reused = await verify(token);
      expect([reused.statusCode, reused.json().error]).toEqual([410, 'link-used']);
      const reusedPage = await form('/artists/verify', { token, lang: 'en' });
      expect([reusedPage.statusCode, reusedPage.headers['set-cookie']]).toEqual([410, undefined]);
      expect(reusedPage.body).toContain('This link was already used');
      expect((await inject('GET', `/artists/verify/${token}?lang=fr`)).body).toContain(
        'Ce lien a déjà servi',
      );
      expect(await state(artistId)).toEqual(after);
      // Verified: the address is taken, as before.
      const again = await signUp(email);
      expect([again.statusCode, again.json().error]).toEqual([409, 'email-taken']);
      expect((await resend(email)).statusCode).toBe(202);
      expect(await mails(email)).toBe(1);
    } finally {
      await cloud.close();
    }
  });

  it('forged, malformed, expired and reused tokens are refused with no state change', async () => {
    const email = newEmail();
    const { artistId } = (await signUp(email)).json();
    const { token } = await verificationMail(getDb(), email);
    const before = await state(artistId);
    const forged = `tbv_${randomBytes(24).toString('base64url')}`;
    for (const bad of [
      forged,
      'tbv_short',
      `${token}x`,
      token.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')),
    ]) {
      const r = await verify(bad);
      expect([r.statusCode, r.json().error]).toEqual([404, 'bad-link']);
      expect((await form('/artists/verify', { token: bad, lang: 'en' })).statusCode).toBe(404);
    }
    expect((await inject('GET', `/artists/verify/${forged}?lang=en`)).body).toContain('Invalid link');
    expect((await inject('POST', '/v1/artists/verify', { payload: { token, extra: 1 } })).statusCode).toBe(
      400,
    );
    // A cross-site form post is refused before the link is touched.
    expect(
      (await form('/artists/verify', { token, lang: 'en' }, { origin: 'https://evil.example' })).statusCode,
    ).toBe(403);
    expect(await state(artistId)).toEqual(before);

    // Expired (48 h passed): refused, nothing changes; the page says how to get a new one.
    await getDb().query(
      "UPDATE artist_email_verifications SET expires_at = now() - interval '1 second' WHERE artist_id = $1",
      [artistId],
    );
    const expired = await state(artistId);
    const r = await verify(token);
    expect([r.statusCode, r.json().error]).toEqual([410, 'link-expired']);
    const p = await inject('GET', `/artists/verify/${token}?lang=fr`);
    expect([p.statusCode, p.body.includes('Ce lien a expiré')]).toEqual([410, true]);
    expect(await state(artistId)).toEqual(expired);
    expect((await login(email)).json().error).toBe('email-unverified');

    // A resend (with the sign-up's password) mails a fresh link, which works once.
    expect((await resend(email, 'not the password!')).statusCode).toBe(202);
    expect(await mails(email)).toBe(1);
    expect((await resend(email)).statusCode).toBe(202);
    expect(await mails(email)).toBe(2);
    const fresh = (await verificationMail(getDb(), email)).token;
    expect(fresh).not.toBe(token);
    const ok = await verify(fresh);
    expect(ok.statusCode).toBe(200);
    expect((await inject('GET', '/v1/artists/me', { token: ok.json().token })).json().name).toBe('Duo');
    const used = await state(artistId);
    expect((await verify(fresh)).json().error).toBe('link-used');
    expect((await verify(token)).statusCode).toBe(410);
    expect(await state(artistId)).toEqual(used);
  });

  it('an impostor cannot lock the owner out nor choose the password; the link used decides', async () => {
    const email = newEmail();
    const IMPOSTOR = 'impostor password 1';
    const OWNER = 'the real owner password';
    const first = await signUp(email, IMPOSTOR, 'Fake Band');
    expect(first.statusCode).toBe(201);
    // The owner signs up too: no "email-taken", a link of their own.
    const owner = await signUp(email, OWNER, 'Real Band');
    expect([owner.statusCode, owner.json().artistId]).toEqual([201, first.json().artistId]);
    const ownerLink = (await verificationMail(getDb(), email)).token;
    // The impostor signs up again and asks for resends: more mails to the owner's mailbox, but the
    // owner's link stays valid and the impostor gets no session.
    expect((await signUp(email, 'impostor password 2', 'Fake Band')).statusCode).toBe(201);
    expect((await resend(email, IMPOSTOR)).statusCode).toBe(202);
    expect(await mails(email)).toBe(4);
    expect((await login(email, IMPOSTOR)).json().error).toBe('email-unverified');
    expect((await login(email, OWNER)).json().error).toBe('email-unverified');
    const { rows } = await getDb().query<{ n: string }>(
      'SELECT count(*)::text AS n FROM artist_sessions WHERE artist_id = $1',
      [first.json().artistId],
    );
    expect(rows[0].n).toBe('0');

    // The owner uses their link: their password and name, verified.
    const v = await verify(ownerLink);
    expect(v.statusCode).toBe(200);
    expect((await inject('GET', '/v1/artists/me', { token: v.json().token })).json().name).toBe('Real Band');
    expect((await login(email, OWNER)).statusCode).toBe(200);
    expect((await login(email, IMPOSTOR)).statusCode).toBe(401);
    expect((await login(email, 'impostor password 2')).statusCode).toBe(401);
    // Every other link died with it (including the impostor's resend).
    const { rows: links } = await getDb().query<{ used: boolean }>(
      'SELECT used_at IS NOT NULL AS used FROM artist_email_verifications WHERE artist_id = $1',
      [first.json().artistId],
    );
    expect(links.map((l) => l.used)).toEqual([true, true, true, true]);
    expect((await signUp(email, IMPOSTOR, 'Fake Band')).json().error).toBe('email-taken');
    expect((await resend(email, IMPOSTOR)).statusCode).toBe(202);
    expect(await mails(email)).toBe(4);
  });

  it('two uses at once (same link twice, or two links of the account): exactly one wins', async () => {
    const email = newEmail();
    const { artistId } = (await signUp(email)).json();
    const a = (await verificationMail(getDb(), email)).token;
    const same = await Promise.all([verify(a), verify(a), verify(a)]);
    expect(same.map((r) => r.statusCode).sort()).toEqual([200, 410, 410]);
    const email2 = newEmail();
    const other = (await signUp(email2, PASSWORD, 'One')).json().artistId;
    const first = (await verificationMail(getDb(), email2)).token;
    await signUp(email2, 'second password!', 'Two');
    const second = (await verificationMail(getDb(), email2)).token;
    const both = await Promise.all([verify(first), verify(second)]);
    expect(both.map((r) => r.statusCode).sort()).toEqual([200, 410]);
    const { rows } = await getDb().query<{ artist_id: string; n: string }>(
      'SELECT artist_id, count(*)::text AS n FROM artist_sessions WHERE artist_id = ANY($1::text[]) GROUP BY 1',
      [[artistId, other]],
    );
    expect(rows.map((r) => r.n)).toEqual(['1', '1']);
    const winner = both.findIndex((r) => r.statusCode === 200);
    expect((await login(email2, winner === 0 ? PASSWORD : 'second password!')).statusCode).toBe(200);
    expect((await login(email2, winner === 0 ? 'second password!' : PASSWORD)).statusCode).toBe(401);
  });

  it('verification emails are capped per address and hour; resends are rate-limited per IP', async () => {
    const email = newEmail();
    expect((await signUp(email)).statusCode).toBe(201);
    for (let i = 0; i < 4; i++) expect((await resend(email)).statusCode).toBe(202);
    expect(await mails(email)).toBe(5);
    const capped = await resend(email);
    expect([capped.statusCode, capped.json().error]).toEqual([429, 'too-many-emails']);
    const capped2 = await signUp(email, 'another password!', 'Other');
    expect([capped2.statusCode, capped2.json().error]).toEqual([429, 'too-many-emails']);
    const page = await form('/artists/verify/resend', { email, password: PASSWORD, lang: 'fr' });
    expect([page.statusCode, page.body.includes('Trop d’e-mails')]).toEqual([429, true]);
    expect(await mails(email)).toBe(5);

    // Per IP (the `login` class, 20 a minute by default), whatever the address.
    const ip = '203.0.113.9';
    const codes: number[] = [];
    for (let i = 0; i < 21; i++)
      codes.push((await resend(`nobody-${i}@example.org`, PASSWORD, ip)).statusCode);
    expect(codes.slice(0, 20)).toEqual(Array(20).fill(202));
    const limited = await resend(newEmail(), PASSWORD, ip);
    expect([limited.statusCode, limited.json().error]).toEqual([429, 'rate-limited']);
    expect(limited.headers['retry-after']).toBeDefined();
    // Another address is not affected.
    expect((await resend(newEmail(), PASSWORD, '203.0.113.10')).statusCode).toBe(202);
  });

  it('pages (FR/EN): sign-up form, check-your-mailbox, login refused with a resend form, escaped', async () => {
    for (const lang of ['fr', 'en']) {
      const p = await inject('GET', `/artists/signup?lang=${lang}`);
      expect(p.statusCode).toBe(200);
      expect(p.body).toContain(lang === 'fr' ? 'Créer un compte artiste' : 'Create an artist account');
      expect(p.body).toContain('autocomplete="new-password"');
      expect((await inject('GET', `/artists/login?lang=${lang}`)).body).toContain(
        'href="/artists/signup?lang=',
      );
    }
    const email = `<i>${id('x')}</i>@example.org`;
    const bad = await form('/artists/signup', { email, password: 'short', name: 'Trio', lang: 'en' });
    expect([bad.statusCode, bad.body.includes('Please check the form')]).toEqual([400, true]);
    expect(bad.body).toContain('value="&lt;i&gt;');
    expect(bad.body).not.toContain('<i>');
    const cross = await form(
      '/artists/signup',
      { email, password: PASSWORD, name: 'Trio', lang: 'en' },
      { origin: 'https://evil.example' },
    );
    expect(cross.statusCode).toBe(403);
    expect(await mails(email)).toBe(0);
    const ok = await form('/artists/signup', { email, password: PASSWORD, name: 'Trio', lang: 'fr' });
    expect(ok.statusCode).toBe(201);
    expect(ok.body).toContain('Vérifiez votre boîte mail');
    expect(ok.body).toContain(
      `${email.toLowerCase().replace('<i>', '&lt;i&gt;').replace('</i>', '&lt;/i&gt;')}`,
    );
    expect(ok.body).not.toContain('<i>');
    const mail = await verificationMail(getDb(), email);
    expect(mail.subject).toBe('Confirmez votre compte artiste TiBillet');
    expect(mail.body).toContain('valable 48 heures');

    // Login before verifying: refused, with the resend form (address kept, escaped).
    const login = await form('/artists/login', { email, password: PASSWORD, lang: 'fr' });
    expect(login.statusCode).toBe(403);
    expect(login.body).toContain('n’est pas encore confirmée');
    expect(login.body).toContain('action="/artists/verify/resend"');
    expect(login.body).toContain('Renvoyer le lien');
    expect(login.body).not.toContain('action="/artists/login"');
    expect(login.body).not.toContain('<i>');
    expect(login.headers['set-cookie']).toBeUndefined();
    const wrong = await form('/artists/login', { email, password: 'not the password', lang: 'en' });
    expect([wrong.statusCode, wrong.body.includes('Wrong email or password.')]).toEqual([401, true]);
    const resent = await form('/artists/verify/resend', { email, password: PASSWORD, lang: 'en' });
    expect([resent.statusCode, resent.body.includes('a new link has just been sent')]).toEqual([202, true]);
    expect(await mails(email)).toBe(2);

    // Verified: signing up again says the address is taken, on the page too.
    const { token } = await verificationMail(getDb(), email);
    expect((await verify(token)).statusCode).toBe(200);
    const taken = await form('/artists/signup', { email, password: PASSWORD, name: 'Trio', lang: 'en' });
    expect([taken.statusCode, taken.body.includes('A confirmed account already uses this address')]).toEqual([
      409,
      true,
    ]);
    expect((await form('/artists/login', { email, password: PASSWORD, lang: 'en' })).statusCode).toBe(303);
  });
});
