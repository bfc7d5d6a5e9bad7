// Retention of the email outbox and of sessions, on PGlite and PostgreSQL: mails sent (or given up)
// more than 30 days ago go, unsent and recently sent ones stay (and the unsent still leave);
// sessions of the three kinds expired more than 7 days ago go, live ones stay and still open their
// routes; a second run deletes nothing; no other table changes. Time is passed in (`now`), never
// slept: old rows are written with explicit times, live sessions at the database's now().
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loginArtist, signUpArtist, verifyArtistEmail } from '../../src/artists/accounts.js';
import { sendOutbox } from '../../src/dormancy/outbox.js';
import { createSession, SESSION_COOKIE } from '../../src/holders/sessions.js';
import { createUser } from '../../src/index.js';
import { purgeOutbox, purgePersonalData, type RetentionResult } from '../../src/retention/purge.js';
import { withBothDatabases } from '../helpers/databases.js';
import { auth, type Fixture, fixture, id } from '../helpers/fixture.js';

const DAY = 24 * 3600_000;
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
        { queueMail: async (_tx, m) => void (link = m.token) },
      )
    ).artistId;
    if (!(await verifyArtistEmail(db, link, DAY)).ok) throw new Error('verification refused');
    const login = await loginArtist(db, artistEmail, PASSWORD, 30 * DAY);
    if (!login.ok) throw new Error('artist login refused');
    artistToken = login.token;
    holderCookie = `${SESSION_COOKIE}=${await createSession(db, holderEmail)}`;
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
    const before = await counts();

    // Within retention: nothing goes.
    expect(await purgePersonalData(db, t0 - 2 * DAY)).toEqual(NOTHING);
    expect(await counts()).toEqual(before);

    const first = await purgePersonalData(db, t0);
    expect(first).toEqual({
      ...NOTHING,
      outbox: { sent: 1, failed: 1 },
      sessions: { sessions: 1, artist_sessions: 1, holder_sessions: 1 },
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
    expect(await counts()).toEqual({
      ...before,
      email_outbox: before.email_outbox - 2,
      sessions: before.sessions - 1,
      artist_sessions: before.artist_sessions - 1,
      holder_sessions: before.holder_sessions - 1,
    });
    await liveSessionsWork();

    // Two days on, the rows that were within retention go too; live sessions and unsent mails stay.
    expect(await purgePersonalData(db, t0 + 2 * DAY)).toEqual({
      ...NOTHING,
      outbox: { sent: 1, failed: 1 },
      sessions: { sessions: 1, artist_sessions: 1, holder_sessions: 1 },
    });
    expect(await purgePersonalData(db, t0 + 2 * DAY)).toEqual(NOTHING);
    expect(await inOutbox([unsentOld, retrying, sentRecent, failedRecent])).toEqual([unsentOld, retrying]);
    expect(await sessionsLeft(recent)).toEqual([0, 0, 0]);
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
    const before = await counts();
    const runs = await Promise.all([purgePersonalData(db, t0), purgePersonalData(db, t0)]);
    const sum = (pick: (r: RetentionResult) => number) => runs.reduce((s, r) => s + pick(r), 0);
    expect(sum((r) => r.outbox.sent)).toBe(6);
    expect(sum((r) => r.sessions.sessions + r.sessions.artist_sessions + r.sessions.holder_sessions)).toBe(9);
    expect(await inOutbox(mails)).toEqual([]);
    expect(await counts()).toEqual({
      ...before,
      email_outbox: before.email_outbox - 6,
      sessions: before.sessions - 3,
      artist_sessions: before.artist_sessions - 3,
      holder_sessions: before.holder_sessions - 3,
    });
    await liveSessionsWork();
  });
});
