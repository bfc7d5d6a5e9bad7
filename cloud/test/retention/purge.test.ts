// Retention of the email outbox and of sessions, on PGlite and PostgreSQL: mails sent (or given up)
// more than 30 days ago go, unsent and recently sent ones stay (and the unsent still leave);
// sessions of the three kinds expired more than 7 days ago go, live ones stay and still open their
// routes; holder links used or expired more than 7 days ago go (and only once expired), a dead
// link shows the same page before and after, a live one stays and still logs the holder in; a
// second run deletes nothing; no other table changes. Time is passed in (`now`), never slept: old
// rows are written with explicit times, live sessions and links at the database's now().
import { createHmac, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loginArtist, signUpArtist, verifyArtistEmail } from '../../src/artists/accounts.js';
import { sendOutbox } from '../../src/dormancy/outbox.js';
import { createLink, type LinkKind, recentLinks } from '../../src/holders/links.js';
import { createSession, SESSION_COOKIE } from '../../src/holders/sessions.js';
import { createUser } from '../../src/index.js';
import { purgeOutbox, purgePersonalData, type RetentionResult } from '../../src/retention/purge.js';
import { withBothDatabases } from '../helpers/databases.js';
import { auth, type Fixture, fixture, id } from '../helpers/fixture.js';

const DAY = 24 * 3600_000;
const MIN = 60_000;
const PASSWORD = 'correct horse battery';
const TABLES = [
  'email_outbox',
  'sessions',
  'artist_sessions',
  'holder_sessions',
  'admin_users',
  'artists',
  'artist_email_verifications',
  'holder_links',
  'venues',
  'wallets',
  'accounts',
];
const NOTHING: RetentionResult = {
  signups: { accounts: 0, links: 0, skipped: 0 },
  outbox: { sent: 0, failed: 0 },
  sessions: { sessions: 0, artist_sessions: 0, holder_sessions: 0 },
  holderLinks: 0,
};

withBothDatabases('personal data retention', (getDb) => {
  let f: Fixture;
  let adminId = '';
  let artistId = '';
  let adminToken = '';
  let artistToken = '';
  let holderCookie = '';
  const holderEmail = `holder-${id()}@example.org`.toLowerCase();

  beforeAll(async () => {
    const db = getDb();
    f = await fixture(db);
    const email = `fed-${f.fed}@example.org`;
    adminId = (
      await createUser(db, { email, password: PASSWORD, role: 'federation_admin', federationId: f.fed })
    ).id;
    adminToken = (
      await f.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password: PASSWORD } })
    ).json().token;
    const artistEmail = `${id('artist')}@example.org`;
    let link = '';
    artistId = (
      await signUpArtist(
        db,
        { email: artistEmail, password: PASSWORD, name: 'Duo' },
        {
          queueMail: async (_tx, m) => {
            link = m.token;
          },
        },
      )
    ).artistId;
    if (!(await verifyArtistEmail(db, link, DAY)).ok) throw new Error('verification refused');
    const login = await loginArtist(db, artistEmail, PASSWORD, 30 * DAY);
    if (!login.ok) throw new Error('artist login refused');
    artistToken = login.token;
    holderCookie = `${SESSION_COOKIE}=${await createSession(db, holderEmail)}`;
    // A known address: only those get a login link.
    const person = await f.app.inject({
      method: 'POST',
      url: `/v1/venues/${f.bar}/people`,
      headers: { ...auth(adminToken), 'idempotency-key': id('idem') },
      payload: { displayName: 'Ada', email: holderEmail },
    });
    if (person.statusCode !== 201) throw new Error(`person refused: ${person.body}`);
  });
  afterAll(() => f?.close());

  const count = async (table: string, where = 'true', params: unknown[] = []) =>
    Number(
      (await getDb().query<{ n: string }>(`SELECT count(*)::text AS n FROM ${table} WHERE ${where}`, params))
        .rows[0]!.n,
    );
  const counts = async () =>
    Object.fromEntries(await Promise.all(TABLES.map(async (t) => [t, await count(t)] as const)));
  const mail = async (o: { created: number; sent?: number; attempts?: number }) =>
    Number(
      (
        await getDb().query<{ id: string }>(
          `INSERT INTO email_outbox (to_address, subject, body, kind, attempts, sent_at, created_at)
           VALUES ($1, 'Subject', 'https://coop.example/me/auth/secret', 'holder-login', $2, $3, $4)
           RETURNING id::text`,
          [
            `${id('to')}@example.org`,
            o.attempts ?? (o.sent === undefined ? 0 : 1),
            o.sent === undefined ? null : new Date(o.sent),
            new Date(o.created),
          ],
        )
      ).rows[0]!.id,
    );
  const inOutbox = async (ids: number[]) =>
    (
      await getDb().query<{ id: string }>(
        'SELECT id::text FROM email_outbox WHERE id = ANY($1::bigint[]) ORDER BY id',
        [ids],
      )
    ).rows.map((r) => Number(r.id));
  /** An expired session row of each kind, expired at `at`; returns their hashes. */
  const expiredSessions = async (at: number) => {
    const h = () => randomBytes(32);
    const rows = { sessions: h(), artist_sessions: h(), holder_sessions: h() };
    const db = getDb();
    await db.query('INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, $3)', [
      rows.sessions,
      adminId,
      new Date(at),
    ]);
    await db.query('INSERT INTO artist_sessions (token_hash, artist_id, expires_at) VALUES ($1, $2, $3)', [
      rows.artist_sessions,
      artistId,
      new Date(at),
    ]);
    await db.query(
      'INSERT INTO holder_sessions (token_hash, email, expires_at, created_at) VALUES ($1, $2, $3, $4)',
      [rows.holder_sessions, holderEmail, new Date(at), new Date(at - DAY)],
    );
    return rows;
  };
  const sessionsLeft = async (rows: Record<string, Buffer>) =>
    Promise.all(Object.entries(rows).map(([t, hash]) => count(t, 'token_hash = $1', [hash])));
  const liveSessionsWork = async () => {
    const admin = await f.app.inject({
      method: 'GET',
      url: `/v1/venues/${f.bar}/closed-wallets`,
      headers: auth(adminToken),
    });
    expect(admin.statusCode).toBe(200);
    const artist = await f.app.inject({ method: 'GET', url: '/v1/artists/me', headers: auth(artistToken) });
    expect(artist.statusCode).toBe(200);
    expect(artist.json()).toMatchObject({ id: artistId });
    const holder = await f.app.inject({
      method: 'GET',
      url: '/me?lang=en',
      headers: { cookie: holderCookie },
    });
    expect(holder.statusCode).toBe(200);
    expect(holder.body).toContain(holderEmail);
  };

  /**
   * A holder link as the app writes it (the key derived as holders/routes.ts does), then moved back
   * in time; returns its row id and its page.
   */
  const holderLink = async (o: { kind?: LinkKind; created: number; expires: number; used?: number }) => {
    const kind = o.kind ?? 'login';
    const key = createHmac('sha256', f.masterKey).update('tibillet-holder-links/v1').digest();
    const token = await createLink(getDb(), key, {
      kind,
      email: holderEmail,
      ttlMs: o.expires - o.created,
      now: o.created,
    });
    const linkId = token.split('.')[0]!;
    await getDb().query('UPDATE holder_links SET created_at = $2, used_at = $3 WHERE id = $1', [
      linkId,
      new Date(o.created),
      o.used === undefined ? null : new Date(o.used),
    ]);
    return { id: linkId, path: `/me/${kind === 'invite' ? 'invite' : 'auth'}/${token}?lang=en` };
  };
  const linksLeft = (links: { id: string }[]) =>
    Promise.all(links.map((l) => count('holder_links', 'id = $1', [l.id])));
  /** Status and message of each link's page (opening a dead link changes nothing). */
  const pages = (links: { path: string }[]) =>
    Promise.all(
      links.map(async (l) => {
        const r = await f.app.inject({ method: 'GET', url: l.path });
        return `${r.statusCode} ${/expired|already used|not valid/.exec(r.body)?.[0]}`;
      }),
    );
  /** A login link asked for on the login page and read from the mail queued, as a holder does. */
  const requestLogin = async () => {
    const r = await f.app.inject({
      method: 'POST',
      url: '/me/login?lang=en',
      payload: { email: holderEmail },
    });
    expect(r.statusCode).toBe(200);
    const mailed = await getDb().query<{ body: string }>(
      "SELECT body FROM email_outbox WHERE to_address = $1 AND kind = 'holder-login' ORDER BY id DESC LIMIT 1",
      [holderEmail],
    );
    const m = /https?:\/\/[^/\s]+(\/me\/auth\/([A-Za-z0-9_-]+)\.[^\s?]+)/.exec(mailed.rows[0]?.body ?? '');
    if (!m) throw new Error('no login link mailed');
    return { id: m[2]!, path: `${m[1]}?lang=en` };
  };

  it('deletes sent and given-up mails and expired sessions past retention, nothing else, once', async () => {
    const db = getDb();
    const t0 = Date.now();
    await liveSessionsWork();

    const unsentOld = await mail({ created: t0 - 100 * DAY });
    const retrying = await mail({ created: t0 - 100 * DAY, attempts: 9 });
    const sentOld = await mail({ created: t0 - 40 * DAY, sent: t0 - 31 * DAY });
    const sentRecent = await mail({ created: t0 - 40 * DAY, sent: t0 - 29 * DAY });
    const failedOld = await mail({ created: t0 - 31 * DAY, attempts: 10 });
    const failedRecent = await mail({ created: t0 - 29 * DAY, attempts: 10 });
    const old = await expiredSessions(t0 - 8 * DAY);
    const recent = await expiredSessions(t0 - 6 * DAY);
    const live = await requestLogin();
    const usedOld = await holderLink({
      created: t0 - 8 * DAY - 2 * MIN,
      expires: t0 - 8 * DAY + 13 * MIN,
      used: t0 - 8 * DAY,
    });
    // Used 8 days ago, expired 2 days ago: goes on its use.
    const usedInvite = await holderLink({
      kind: 'invite',
      created: t0 - 8.5 * DAY,
      expires: t0 - 1.5 * DAY,
      used: t0 - 8 * DAY,
    });
    const expiredOld = await holderLink({ created: t0 - 8 * DAY - 15 * MIN, expires: t0 - 8 * DAY });
    const expiredRecent = await holderLink({ created: t0 - 6 * DAY - 15 * MIN, expires: t0 - 6 * DAY });
    // Longer than any link lives today: used long ago but its token not yet expired, it stays until
    // it is, so that it keeps answering "already used" rather than "not valid".
    const usedUnexpired = await holderLink({
      kind: 'invite',
      created: t0 - 8 * DAY - MIN,
      expires: t0 + DAY,
      used: t0 - 8 * DAY,
    });
    const dead = [usedOld, usedInvite, expiredOld, usedUnexpired];
    const deadPages = ['410 expired', '410 expired', '410 expired', '410 already used'];
    const links = [live, usedOld, usedInvite, expiredOld, expiredRecent, usedUnexpired];
    expect(await pages(dead)).toEqual(deadPages);
    // The old links do not count against the per-address cap, before or after.
    expect(await recentLinks(db, holderEmail)).toBe(1);
    const before = await counts();

    // Within retention: nothing goes.
    expect(await purgePersonalData(db, t0 - 2 * DAY)).toEqual(NOTHING);
    expect(await counts()).toEqual(before);

    const first = await purgePersonalData(db, t0);
    expect(first).toEqual({
      ...NOTHING,
      outbox: { sent: 1, failed: 1 },
      sessions: { sessions: 1, artist_sessions: 1, holder_sessions: 1 },
      holderLinks: 3,
    });
    expect(await purgePersonalData(db, t0)).toEqual(NOTHING);
    expect(await inOutbox([unsentOld, retrying, sentOld, sentRecent, failedOld, failedRecent])).toEqual([
      unsentOld,
      retrying,
      sentRecent,
      failedRecent,
    ]);
    expect(await sessionsLeft(old)).toEqual([0, 0, 0]);
    expect(await sessionsLeft(recent)).toEqual([1, 1, 1]);
    expect(await linksLeft(links)).toEqual([1, 0, 0, 0, 1, 1]);
    expect(await counts()).toEqual({
      ...before,
      email_outbox: before.email_outbox - 2,
      sessions: before.sessions - 1,
      artist_sessions: before.artist_sessions - 1,
      holder_sessions: before.holder_sessions - 1,
      holder_links: before.holder_links - 3,
    });
    await liveSessionsWork();
    expect(await pages(dead)).toEqual(deadPages);
    expect(await recentLinks(db, holderEmail)).toBe(1);
    // The live link kept still logs the holder in (once).
    const opened = await f.app.inject({ method: 'GET', url: live.path });
    expect(opened.statusCode).toBe(302);
    const session = opened.cookies.find((c) => c.name === SESSION_COOKIE);
    expect(session).toBeDefined();
    const me = await f.app.inject({
      method: 'GET',
      url: '/me?lang=en',
      headers: { cookie: `${SESSION_COOKIE}=${session!.value}` },
    });
    expect(me.statusCode).toBe(200);
    expect(me.body).toContain(holderEmail);
    expect(await pages([live])).toEqual(['410 already used']);

    // Two days on, the rows that were within retention go too (and the long-lived used link, now
    // expired); live sessions, unsent mails and the link just used stay.
    expect(await purgePersonalData(db, t0 + 2 * DAY)).toEqual({
      ...NOTHING,
      outbox: { sent: 1, failed: 1 },
      sessions: { sessions: 1, artist_sessions: 1, holder_sessions: 1 },
      holderLinks: 2,
    });
    expect(await purgePersonalData(db, t0 + 2 * DAY)).toEqual(NOTHING);
    expect(await inOutbox([unsentOld, retrying, sentRecent, failedRecent])).toEqual([unsentOld, retrying]);
    expect(await sessionsLeft(recent)).toEqual([0, 0, 0]);
    expect(await linksLeft(links)).toEqual([1, 0, 0, 0, 0, 0]);
    await liveSessionsWork();

    // The unsent mails kept still leave: the one with an attempt left is sent, then purged in time.
    const sent: string[] = [];
    const r = await sendOutbox(
      db,
      { sendMail: async (m) => void sent.push(m.to) },
      { from: 'coop@example.org' },
    );
    expect(r.failed).toBe(0);
    const after = await db.query<{ id: string; sent: boolean }>(
      'SELECT id::text, sent_at IS NOT NULL AS sent FROM email_outbox WHERE id = ANY($1::bigint[]) ORDER BY id',
      [[unsentOld, retrying]],
    );
    expect(after.rows.map((x) => x.sent)).toEqual([true, true]);
    // (Outbox only: a purge a month on would rightly drop the live sessions the next test uses.)
    expect(await purgeOutbox(db, Date.now() + 29 * DAY)).toEqual({ sent: 0, failed: 0 });
    expect((await purgeOutbox(db, Date.now() + 31 * DAY)).sent).toBeGreaterThanOrEqual(2);
    expect(await inOutbox([unsentOld, retrying])).toEqual([]);
  });

  it('two purges at once delete each row once, without error', async () => {
    const db = getDb();
    const t0 = Date.now();
    const mails = await Promise.all(
      Array.from({ length: 6 }, (_, i) => mail({ created: t0 - 40 * DAY, sent: t0 - (31 + i) * DAY })),
    );
    for (let i = 0; i < 3; i++) await expiredSessions(t0 - (8 + i) * DAY);
    const links = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        holderLink({ created: t0 - (8 + i) * DAY - 15 * MIN, expires: t0 - (8 + i) * DAY }),
      ),
    );
    const before = await counts();
    const runs = await Promise.all([purgePersonalData(db, t0), purgePersonalData(db, t0)]);
    const sum = (pick: (r: RetentionResult) => number) => runs.reduce((s, r) => s + pick(r), 0);
    expect(sum((r) => r.outbox.sent)).toBe(6);
    expect(sum((r) => r.sessions.sessions + r.sessions.artist_sessions + r.sessions.holder_sessions)).toBe(9);
    expect(sum((r) => r.holderLinks)).toBe(4);
    expect(await inOutbox(mails)).toEqual([]);
    expect(await linksLeft(links)).toEqual([0, 0, 0, 0]);
    expect(await counts()).toEqual({
      ...before,
      email_outbox: before.email_outbox - 6,
      sessions: before.sessions - 3,
      artist_sessions: before.artist_sessions - 3,
      holder_sessions: before.holder_sessions - 3,
      holder_links: before.holder_links - 4,
    });
    await liveSessionsWork();
  });
});
