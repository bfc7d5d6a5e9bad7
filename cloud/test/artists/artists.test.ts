// Artists' spaces: accounts, profiles (escaped, size-limited), line-ups on the agenda, proposals
// to venues (sent → seen → accepted/declined with a thread) and the venue inbox's tenant isolation.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { withBothDatabases } from '../helpers/databases.js';
import { id } from '../helpers/fixture.js';
import { type TicketingCtx, ticketingContext } from '../ticketing/setup.js';
import { verificationToken } from './verify-mail.js';

const PASSWORD = 'a long artist password';

withBothDatabases('artists', (getDb) => {
  let t: TicketingCtx;
  const inject = (
    method: string,
    url: string,
    opts: { token?: string; payload?: unknown; headers?: Record<string, string> } = {},
  ) =>
    t.f.app.inject({
      method: method as 'GET',
      url,
      headers: { ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), ...opts.headers },
      ...(opts.payload !== undefined ? { payload: opts.payload as object } : {}),
    });
  /** Signs up, is refused login until the emailed link (read from the outbox) is used, then logs in. */
  const signUp = async (name: string) => {
    const email = `${id('artist')}@example.org`;
    const r = await inject('POST', '/v1/artists', { payload: { email, password: PASSWORD, name } });
    expect(r.statusCode).toBe(201);
    const login = () =>
      inject('POST', '/v1/artists/login', { payload: { email: email.toUpperCase(), password: PASSWORD } });
    expect((await login()).json().error).toBe('email-unverified');
    const verified = await inject('POST', '/v1/artists/verify', {
      payload: { token: await verificationToken(getDb(), email) },
    });
    expect(verified.statusCode).toBe(200);
    const l = await login();
    expect(l.statusCode).toBe(200);
    return { artistId: r.json().artistId as string, token: l.json().token as string, email };
  };
  let lou: Awaited<ReturnType<typeof signUp>>;
  let max: Awaited<ReturnType<typeof signUp>>;

  beforeAll(async () => {
    t = await ticketingContext(getDb());
    lou = await signUp('Lou & the <Strings>');
    max = await signUp('Max Trio');
  });
  afterAll(() => t?.close());

  it('accounts: duplicate emails, wrong passwords and foreign tokens are refused', async () => {
    expect(
      (
        await inject('POST', '/v1/artists', { payload: { email: lou.email, password: PASSWORD, name: 'X' } })
      ).json().error,
    ).toBe('email-taken');
    expect(
      (await inject('POST', '/v1/artists', { payload: { email: 'a@b.c', password: 'short', name: 'X' } }))
        .statusCode,
    ).toBe(400);
    expect(
      (
        await inject('POST', '/v1/artists/login', {
          payload: { email: lou.email, password: 'wrong password!' },
        })
      ).statusCode,
    ).toBe(401);
    expect((await inject('GET', '/v1/artists/me')).statusCode).toBe(401);
    // An admin session is no artist session, and an artist session opens no admin route.
    expect((await inject('GET', '/v1/artists/me', { token: t.tokens.barAdmin })).statusCode).toBe(401);
    expect((await inject('GET', `/v1/venues/${t.f.bar}/events`, { token: lou.token })).statusCode).toBe(401);
    expect((await inject('GET', '/v1/artists/me', { token: lou.token })).json().name).toBe(
      'Lou & the <Strings>',
    );
  });

  it('profile: bio, links, rider, tags, region, availability; script in the bio renders inert', async () => {
    const r = await inject('PATCH', '/v1/artists/me', {
      token: lou.token,
      payload: {
        bio: 'Folk duo.\n\n<script>alert("x")</script><img src=x onerror=alert(1)>',
        mediaLinks: [
          { label: 'Bandcamp', url: 'https://lou.bandcamp.com/' },
          { label: '<b>clip</b>', url: 'https://video.example/watch?v=1&t="2"' },
        ],
        techRider: '2 DI boxes\n1 vocal mic',
        tags: ['Folk', 'folk', ' Acoustic '],
        region: 'Bretagne',
        availability: [
          { from: '2031-06-01', to: '2031-06-30' },
          { from: '2031-09-01', to: '2031-09-15' },
        ],
      },
    });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({
      tags: ['folk', 'acoustic'],
      region: 'Bretagne',
      availability: [
        { from: '2031-06-01', to: '2031-06-30' },
        { from: '2031-09-01', to: '2031-09-15' },
      ],
    });
    for (const lang of ['fr', 'en']) {
      const p = await inject('GET', `/artists/${lou.artistId}?lang=${lang}`);
      expect(p.statusCode).toBe(200);
      expect(p.headers['content-security-policy']).toContain("default-src 'none'");
      expect(p.body).toContain(`<html lang="${lang}">`);
      expect(p.body).toContain('name="viewport"');
      expect(p.body).not.toContain('<script');
      expect(p.body).not.toContain('<img src=x');
      expect(p.body).not.toContain('<Strings>');
      expect(p.body).not.toContain('<b>clip');
      expect(p.body).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
      expect(p.body).toContain('Lou &amp; the &lt;Strings&gt;');
      expect(p.body).toContain('href="https://video.example/watch?v=1&amp;t=%222%22"');
      expect(p.body).toContain(lang === 'fr' ? 'Fiche technique' : 'Tech rider');
    }
  });

  it('refuses oversize and unsafe profile content with clear errors, changing nothing', async () => {
    const before = (await inject('GET', '/v1/artists/me', { token: lou.token })).json();
    const bad = async (payload: object) =>
      (await inject('PATCH', '/v1/artists/me', { token: lou.token, payload })).json();
    expect(await bad({ bio: 'x'.repeat(10_001) })).toMatchObject({
      error: 'bio-too-long',
      message: expect.stringContaining('at most 10000'),
    });
    expect(
      await bad({ mediaLinks: [{ label: 'l', url: `https://e.org/${'a'.repeat(2100)}` }] }),
    ).toMatchObject({
      error: 'link-too-long',
      message: expect.stringContaining('link 1'),
    });
    expect(await bad({ mediaLinks: [{ label: 'l', url: 'javascript:alert(1)' }] })).toMatchObject({
      error: 'bad-link',
    });
    expect(await bad({ imageUrl: 'data:image/png;base64,AAAA' })).toMatchObject({ error: 'bad-link' });
    expect(await bad({ mediaLinks: Array(21).fill({ label: 'l', url: 'https://e.org' }) })).toMatchObject({
      error: 'too-many-links',
    });
    expect(await bad({ availability: [{ from: '2031-02-10', to: '2031-02-01' }] })).toMatchObject({
      error: 'bad-date',
    });
    expect(await bad({ availability: [{ from: '2031-02-30', to: '2031-03-01' }] })).toMatchObject({
      error: 'bad-date',
    });
    expect(await bad({ tags: ['<x>'] })).toMatchObject({ error: 'bad-tag' });
    // Pictures: too large → 413 with the size; wrong bytes → refused; a real PNG is served back.
    const big = await inject('PUT', '/v1/artists/me/image', {
      token: lou.token,
      headers: { 'content-type': 'image/png' },
      payload: Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(2 * 1024 * 1024)]),
    });
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({
      error: 'image-too-large',
      message: expect.stringMatching(/2\.0 MB; at most 1 MB/),
    });
    const fake = await inject('PUT', '/v1/artists/me/image', {
      token: lou.token,
      headers: { 'content-type': 'image/png' },
      payload: Buffer.from('<svg onload=alert(1)>'),
    });
    expect(fake.json().error).toBe('bad-image');
    expect((await inject('GET', `/artists/${lou.artistId}/image`)).statusCode).toBe(404);
    expect((await inject('GET', '/v1/artists/me', { token: lou.token })).json()).toEqual(before);
    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
      'base64',
    );
    expect(
      (
        await inject('PUT', '/v1/artists/me/image', {
          token: lou.token,
          headers: { 'content-type': 'image/png' },
          payload: png,
        })
      ).statusCode,
    ).toBe(204);
    const img = await inject('GET', `/artists/${lou.artistId}/image`);
    expect([img.statusCode, img.headers['content-type'], img.rawPayload.equals(png)]).toEqual([
      200,
      'image/png',
      true,
    ]);
    expect((await inject('GET', `/artists/${lou.artistId}`)).body).toContain(
      `src="/artists/${lou.artistId}/image"`,
    );
  });

  it('organizers search by tag, region and availability (JSON and page)', async () => {
    await inject('PATCH', '/v1/artists/me', {
      token: max.token,
      payload: { tags: ['jazz'], region: 'Bretagne Sud' },
    });
    const names = async (qs: string) =>
      ((await inject('GET', `/v1/artists?${qs}`)).json().artists as { id: string }[])
        .map((a) => a.id)
        .filter((x) => x === lou.artistId || x === max.artistId);
    expect(await names('tag=FOLK')).toEqual([lou.artistId]);
    expect(await names('tag=jazz')).toEqual([max.artistId]);
    expect((await names('region=bretagne')).sort()).toEqual([lou.artistId, max.artistId].sort());
    expect(await names('region=bretagne%20sud')).toEqual([max.artistId]);
    expect(await names('region=bretagne&availableOn=2031-06-15')).toEqual([lou.artistId]);
    expect(await names('availableOn=2031-07-15')).toEqual([]);
    expect((await inject('GET', '/v1/artists?availableOn=2031-13-45')).json().error).toBe('bad-date');
    const page = await inject('GET', '/artists?tag=folk&lang=en');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`href="/artists/${lou.artistId}?lang=en"`);
    expect(page.body).not.toContain('Max Trio');
  });

  it('an event lists its artists; the artist page lists their upcoming public events', async () => {
    const e = await t.createEvent({ title: 'Folk night', tags: ['folk'] });
    const hidden = await t.createEvent({ title: 'Private party', visibility: 'private' });
    const url = (ev: { id: string }, venue = t.f.bar) => `/v1/venues/${venue}/events/${ev.id}/artists`;
    const set = await inject('PUT', url(e), {
      token: t.tokens.barAdmin,
      payload: { artistIds: [lou.artistId, max.artistId] },
    });
    expect(set.json().artists.map((a: { name: string }) => a.name)).toEqual([
      'Lou & the <Strings>',
      'Max Trio',
    ]);
    await inject('PUT', url(hidden), { token: t.tokens.barAdmin, payload: { artistIds: [lou.artistId] } });
    // Another venue's admin, a cashier and an artist cannot set the bar's line-up.
    expect(
      (await inject('PUT', url(e), { token: t.tokens.cafeAdmin, payload: { artistIds: [] } })).statusCode,
    ).toBe(403);
    expect(
      (await inject('PUT', url(e), { token: t.tokens.barCashier, payload: { artistIds: [] } })).statusCode,
    ).toBe(403);
    expect((await inject('PUT', url(e), { token: lou.token, payload: { artistIds: [] } })).statusCode).toBe(
      401,
    );
    expect(
      (
        await inject('PUT', url(e), {
          token: t.tokens.barAdmin,
          payload: { artistIds: ['00000000-0000-4000-8000-000000000000'] },
        })
      ).json().error,
    ).toBe('unknown-artist');
    const agenda = (await inject('GET', `/v1/agenda?venue=${t.f.bar}`)).json().events as {
      id: string;
      artists: { name: string }[];
    }[];
    expect(agenda.find((x) => x.id === e.id)?.artists.map((a) => a.name)).toEqual([
      'Lou & the <Strings>',
      'Max Trio',
    ]);
    const evPage = await inject('GET', `/agenda/events/${e.id}?lang=en`);
    expect(evPage.body).toContain('Line-up');
    expect(evPage.body).toContain(
      `<a href="/artists/${lou.artistId}?lang=en">Lou &amp; the &lt;Strings&gt;</a>`,
    );
    const profile = (await inject('GET', `/v1/artists/${lou.artistId}`)).json();
    expect(profile.events.map((x: { title: string }) => x.title)).toEqual(['Folk night']);
    const html = (await inject('GET', `/artists/${lou.artistId}?lang=fr`)).body;
    expect(html).toContain(`href="/agenda/events/${e.id}?lang=fr"`);
    expect(html).not.toContain('Private party');
  });

  it('proposals: sent → seen → accepted with a thread; idempotent; only the venue admins see the inbox', async () => {
    const body = {
      venueId: t.f.bar,
      message: 'We would love to play <b>your</b> bar.',
      dates: [{ from: '2031-06-10', to: '2031-06-12' }],
      feeAmount: 45_000,
    };
    const key = id('prop');
    const sent = await inject('POST', '/v1/artists/me/proposals', {
      token: lou.token,
      payload: body,
      headers: { 'idempotency-key': key },
    });
    expect(sent.statusCode).toBe(201);
    const p = sent.json();
    expect(p).toMatchObject({ status: 'sent', venueId: t.f.bar, feeAmount: 45_000, feeCurrency: 'EUR' });
    const again = await inject('POST', '/v1/artists/me/proposals', {
      token: lou.token,
      payload: body,
      headers: { 'idempotency-key': key },
    });
    expect([again.statusCode, again.json().id]).toEqual([200, p.id]);
    expect(
      (
        await inject('POST', '/v1/artists/me/proposals', {
          token: lou.token,
          payload: { ...body, venueId: 'nowhere' },
        })
      ).json().error,
    ).toBe('unknown-venue');
    expect(
      (
        await inject('POST', '/v1/artists/me/proposals', {
          token: lou.token,
          payload: { ...body, message: '  ' },
        })
      ).json().error,
    ).toBe('empty-message');
    // Max writes to the café: never in the bar's inbox.
    await inject('POST', '/v1/artists/me/proposals', {
      token: max.token,
      payload: { ...body, venueId: t.f.cafe },
    });

    const inbox = (
      await inject('GET', `/v1/venues/${t.f.bar}/proposals`, { token: t.tokens.barAdmin })
    ).json().proposals;
    expect(inbox.map((x: { id: string }) => x.id)).toEqual([p.id]);
    // Tenant isolation: the café's admin, the bar's cashier, gateways and artists are refused.
    expect(
      (await inject('GET', `/v1/venues/${t.f.bar}/proposals`, { token: t.tokens.cafeAdmin })).statusCode,
    ).toBe(403);
    expect(
      (await inject('GET', `/v1/venues/${t.f.bar}/proposals/${p.id}`, { token: t.tokens.cafeAdmin }))
        .statusCode,
    ).toBe(403);
    expect(
      (await inject('GET', `/v1/venues/${t.f.cafe}/proposals/${p.id}`, { token: t.tokens.cafeAdmin }))
        .statusCode,
    ).toBe(404);
    expect(
      (await inject('GET', `/v1/venues/${t.f.bar}/proposals`, { token: t.tokens.barCashier })).statusCode,
    ).toBe(403);
    expect(
      (await inject('GET', `/v1/venues/${t.f.bar}/proposals`, { token: t.tokens.barGateway })).statusCode,
    ).toBe(403);
    expect((await inject('GET', `/v1/venues/${t.f.bar}/proposals`, { token: lou.token })).statusCode).toBe(
      401,
    );
    expect((await inject('GET', `/v1/artists/me/proposals/${p.id}`, { token: max.token })).statusCode).toBe(
      404,
    );
    const fedInbox = (await inject('GET', `/v1/venues/${t.f.cafe}/proposals`, { token: t.tokens.fed })).json()
      .proposals;
    expect(fedInbox.map((x: { artistId: string }) => x.artistId)).toEqual([max.artistId]);

    // Opening marks it seen (once); the artist sees the status change.
    const opened = (
      await inject('GET', `/v1/venues/${t.f.bar}/proposals/${p.id}`, { token: t.tokens.barAdmin })
    ).json();
    expect(opened.status).toBe('seen');
    expect(opened.messages).toMatchObject([{ author: 'artist', body: body.message }]);
    expect(
      (await inject('GET', `/v1/artists/me/proposals/${p.id}`, { token: lou.token })).json().status,
    ).toBe('seen');

    const reply = await inject('POST', `/v1/venues/${t.f.bar}/proposals/${p.id}/messages`, {
      token: t.tokens.barAdmin,
      payload: { body: 'Could you do the 11th only?' },
    });
    expect(reply.json().messages.map((m: { author: string }) => m.author)).toEqual(['artist', 'venue']);
    await inject('POST', `/v1/artists/me/proposals/${p.id}/messages`, {
      token: lou.token,
      payload: { body: 'Yes, the 11th.' },
    });
    const decided = await inject('POST', `/v1/venues/${t.f.bar}/proposals/${p.id}/decision`, {
      token: t.tokens.barAdmin,
      payload: { decision: 'accepted', message: 'Booked!' },
    });
    expect(decided.json()).toMatchObject({ status: 'accepted' });
    expect(decided.json().messages.map((m: { body: string }) => m.body)).toEqual([
      body.message,
      'Could you do the 11th only?',
      'Yes, the 11th.',
      'Booked!',
    ]);
    const decline = await inject('POST', `/v1/venues/${t.f.bar}/proposals/${p.id}/decision`, {
      token: t.tokens.barAdmin,
      payload: { decision: 'declined' },
    });
    expect([decline.statusCode, decline.json().error]).toEqual([409, 'already-decided']);
    expect(
      (
        await inject('GET', `/v1/venues/${t.f.bar}/proposals?status=accepted`, { token: t.tokens.barAdmin })
      ).json().proposals,
    ).toHaveLength(1);
    // The artist's page shows the thread, escaped.
    const cookie = `tba=${lou.token}`;
    const mine = await inject('GET', '/artists/me/proposals?lang=en', { headers: { cookie } });
    expect(mine.body).toContain('Accepted');
    expect(mine.body).toContain('&lt;b&gt;your&lt;/b&gt;');
    const { rows } = await getDb().query<{ n: string }>(
      'SELECT count(*)::text AS n FROM artist_proposals WHERE artist_id = $1',
      [lou.artistId],
    );
    expect(rows[0].n).toBe('1');
  });

  it('the proposal form: sign in, send, errors re-shown; cross-site posts refused', async () => {
    const login = await inject('POST', '/artists/login', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ email: max.email, password: PASSWORD, lang: 'fr' }).toString(),
    });
    expect(login.statusCode).toBe(303);
    const cookie = String(login.headers['set-cookie']).split(';')[0];
    expect(String(login.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict/);
    const form = await inject('GET', `/artists/me/proposals/new?lang=fr&venue=${t.f.bar}`, {
      headers: { cookie },
    });
    expect(form.body).toContain('Proposer une date');
    const requestKey = /name="requestKey" value="([^"]+)"/.exec(form.body)![1];
    const post = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
      inject('POST', '/artists/me/proposals', {
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers },
        payload: new URLSearchParams({
          lang: 'fr',
          requestKey,
          venueId: t.f.bar,
          from: '2031-10-01',
          to: '2031-10-02',
          ...fields,
        }).toString(),
      });
    const badFee = await post({ message: 'Hello', fee: '12abc' });
    expect([badFee.statusCode, badFee.body.includes('Cachet')]).toEqual([400, true]);
    const cross = await post({ message: 'Hello' }, { origin: 'https://evil.example' });
    expect(cross.statusCode).toBe(403);
    expect((await post({ message: 'Hello', fee: '300,50' })).statusCode).toBe(303);
    expect((await post({ message: 'Hello', fee: '300,50' })).statusCode).toBe(303);
    const list = (await inject('GET', '/v1/artists/me/proposals', { token: max.token })).json().proposals;
    expect(list.filter((x: { venueId: string }) => x.venueId === t.f.bar)).toMatchObject([
      { feeAmount: 30_050, status: 'sent' },
    ]);
    expect((await inject('GET', '/artists/me/proposals/new')).statusCode).toBe(303);
  });
});
