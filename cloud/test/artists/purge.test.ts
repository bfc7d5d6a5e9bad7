// Retention of artists' sign-ups, on PGlite and PostgreSQL: sign-ups never confirmed go 7 days after
// their last link expired, used or expired links 7 days after; a pending sign-up with a live link,
// an account verified later and a verified owner an impostor raced are never touched; accounts
// owning other artist rows are skipped; nothing else is deleted; a second run deletes nothing.
// Time is passed in (`now`), never slept: the links are written at the database's now().
import { expect, it } from 'vitest';
import {
  loginArtist,
  logoutArtist,
  resendVerification,
  signUpArtist,
  type VerifyOptions,
  verifyArtistEmail,
} from '../../src/artists/accounts.js';
import { purgeArtistSignups } from '../../src/artists/purge.js';
import { withBothDatabases } from '../helpers/databases.js';
import { id } from '../helpers/fixture.js';

const PASSWORD = 'a long artist password';
const HOUR = 3600_000;
const DAY = 24 * HOUR;
const SESSION_MS = DAY;
const OTHER_TABLES = [
  'artist_sessions',
  'artist_images',
  'artist_availability',
  'event_artists',
  'artist_proposals',
  'artist_proposal_messages',
  'email_outbox',
];

withBothDatabases('artist sign-up purge', (getDb) => {
  /** The newest link mailed to each address (the mail itself is not needed here). */
  const tokens = new Map<string, string>();
  const opts = (ttlMs?: number): VerifyOptions => ({
    ttlMs,
    queueMail: async (_tx, m) => void tokens.set(m.to, m.token),
  });
  const newEmail = () => `${id('artist')}@example.org`;
  const signUp = (email: string, o: { password?: string; name?: string; ttlMs?: number } = {}) =>
    signUpArtist(getDb(), { email, password: o.password ?? PASSWORD, name: o.name ?? 'Duo' }, opts(o.ttlMs));
  const verify = async (email: string) => {
    const r = await verifyArtistEmail(getDb(), tokens.get(email)!, SESSION_MS);
    if (!r.ok) throw new Error(`verification refused: ${r.reason}`);
    return r.token;
  };
  const count = async (table: string, where = 'true', params: unknown[] = []) =>
    Number(
      (await getDb().query<{ n: string }>(`SELECT count(*)::text AS n FROM ${table} WHERE ${where}`, params))
        .rows[0]!.n,
    );
  const counts = async () =>
    Object.fromEntries(await Promise.all(OTHER_TABLES.map(async (t) => [t, await count(t)] as const)));
  /** Everything stored about these accounts, to compare before/after. */
  const rows = async (ids: string[]) =>
    (
      await getDb().query<{ j: string }>(
        'SELECT row_to_json(a)::text AS j FROM artists a WHERE id = ANY($1::text[]) ORDER BY id',
        [ids],
      )
    ).rows.map((r) => r.j);
  const links = (artistId: string) => count('artist_email_verifications', 'artist_id = $1', [artistId]);

  it('deletes abandoned sign-ups and dead links after 7 days, nothing else, once', async () => {
    const db = getDb();
    const t0 = Date.now();
    const purge = (now: number) => purgeArtistSignups(db, now);

    // Abandoned: one 48 h link, never used.
    const abandonedEmail = newEmail();
    const abandoned = (await signUp(abandonedEmail)).artistId;
    // Pending: a first link dead at once, a second one valid 20 days.
    const pendingEmail = newEmail();
    const pending = (await signUp(pendingEmail, { ttlMs: 1 })).artistId;
    await signUp(pendingEmail, { password: 'second password!', ttlMs: 20 * DAY });
    // Verified later: its first link expired, the resent one used; then logged out, so it owns no
    // row the purge would skip it for.
    const laterEmail = newEmail();
    const later = (await signUp(laterEmail, { ttlMs: 1 })).artistId;
    expect(await resendVerification(db, laterEmail, PASSWORD, opts())).toBe(true);
    await logoutArtist(db, await verify(laterEmail));
    // An impostor signs up first; the owner signs up too and verifies with their own link.
    const ownerEmail = newEmail();
    const owner = (await signUp(ownerEmail, { password: 'impostor password', name: 'Fake Band' })).artistId;
    await signUp(ownerEmail, { name: 'Real Band' });
    await verify(ownerEmail);
    expect((await signUp(ownerEmail, { password: 'impostor again!' }).catch((e) => e)).code).toBe(
      'email-taken',
    );
    // The verified owner has everything an artist can own.
    const proposal = id('proposal');
    await db.query(
      "INSERT INTO artist_images (artist_id, content_type, bytes) VALUES ($1, 'image/png', '\\x00')",
      [owner],
    );
    await db.query(
      "INSERT INTO artist_availability (artist_id, from_date, to_date) VALUES ($1, '2027-01-01', '2027-01-31')",
      [owner],
    );
    await db.query("INSERT INTO event_artists (event_id, artist_id) VALUES ('some-event', $1)", [owner]);
    await db.query(
      `INSERT INTO artist_proposals (id, artist_id, venue_id, message, dates)
       VALUES ($1, $2, 'some-venue', 'hello', '[]'::jsonb)`,
      [proposal, owner],
    );
    await db.query(
      "INSERT INTO artist_proposal_messages (proposal_id, author, author_id, body) VALUES ($1, 'venue', 'admin', 'ok')",
      [proposal],
    );
    // Unverified but owning a row the app never gives it (SQL, an old bug): kept, only counted.
    const strayEmail = newEmail();
    const stray = (await signUp(strayEmail, { ttlMs: 1 })).artistId;
    await db.query(
      "INSERT INTO artist_availability (artist_id, from_date, to_date) VALUES ($1, '2027-02-01', '2027-02-02')",
      [stray],
    );

    const kept = [pending, later, owner, stray];
    const keptRows = await rows(kept);
    const others = await counts();
    const artists = await count('artists');
    expect(await count('artist_sessions', 'artist_id = ANY($1::text[])', [[later, owner]])).toBe(1);

    // Within the 7 days: nothing goes.
    expect(await purge(t0 + HOUR)).toEqual({ accounts: 0, links: 0, skipped: 0 });
    expect(await purge(t0 + 7 * DAY - HOUR)).toEqual({ accounts: 0, links: 0, skipped: 0 });

    // 7 days after the links died at t0: the pending sign-up's dead link, the used links (the
    // impostor's included) and the stray's link; the abandoned link (48 h) has 2 days to go.
    expect(await purge(t0 + 7 * DAY + HOUR)).toEqual({ accounts: 0, links: 6, skipped: 1 });
    expect(await purge(t0 + 7 * DAY + HOUR)).toEqual({ accounts: 0, links: 0, skipped: 1 });
    expect([await links(pending), await links(later), await links(owner), await links(stray)]).toEqual([
      1, 0, 0, 0,
    ]);
    expect(await links(abandoned)).toBe(1);

    // 7 days after the abandoned link expired: the account and its link go; the pending sign-up
    // (its link valid until t0 + 20 d) stays.
    expect(await purge(t0 + 9 * DAY + HOUR)).toEqual({ accounts: 1, links: 1, skipped: 1 });
    expect(await purge(t0 + 9 * DAY + HOUR)).toEqual({ accounts: 0, links: 0, skipped: 1 });
    expect(await count('artists', 'id = $1', [abandoned])).toBe(0);
    expect(await count('artists')).toBe(artists - 1);
    expect(await rows(kept)).toEqual(keptRows);
    expect(await counts()).toEqual(others);

    // Still usable: the pending sign-up verifies with its live link, the address purged is free
    // again, the verified accounts log in with their own password (the impostor's is gone).
    await verify(pendingEmail);
    expect((await loginArtist(db, pendingEmail, 'second password!', SESSION_MS)).ok).toBe(true);
    expect(await signUp(abandonedEmail)).toEqual({ artistId: expect.any(String), created: true });
    const laterLogin = await loginArtist(db, laterEmail, PASSWORD, SESSION_MS);
    if (!laterLogin.ok) throw new Error('verified account refused');
    await logoutArtist(db, laterLogin.token);
    expect((await loginArtist(db, ownerEmail, PASSWORD, SESSION_MS)).ok).toBe(true);
    expect(await loginArtist(db, ownerEmail, 'impostor password', SESSION_MS)).toEqual({
      ok: false,
      reason: 'bad-credentials',
    });

    // Long after: verified accounts are never purged, only their used links.
    const verifiedRows = await rows([pending, later, owner]);
    const before = await counts();
    expect(await purge(t0 + 400 * DAY)).toEqual({ accounts: 1, links: 2, skipped: 1 });
    expect(await purge(t0 + 400 * DAY)).toEqual({ accounts: 0, links: 0, skipped: 1 });
    expect(await rows([pending, later, owner])).toEqual(verifiedRows);
    expect(await count('artists', 'id = $1', [stray])).toBe(1);
    expect(await counts()).toEqual(before);
  });

  it('two purges at once delete each abandoned sign-up once, without error', async () => {
    const db = getDb();
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await signUp(newEmail())).artistId);
    const others = await counts();
    const runs = await Promise.all([
      purgeArtistSignups(db, Date.now() + 1000 * DAY),
      purgeArtistSignups(db, Date.now() + 1000 * DAY),
    ]);
    expect(runs.reduce((s, r) => s + r.accounts, 0)).toBe(ids.length);
    expect(runs.reduce((s, r) => s + r.links, 0)).toBe(ids.length);
    expect(await count('artists', 'id = ANY($1::text[])', [ids])).toBe(0);
    expect(await counts()).toEqual(others);
  });
});
