// Artist accounts: sign-up with email verification, password login (scrypt, as admin users) and sessions. A session token
// (`tba_…`, stored only as its SHA-256) is sent as a Bearer header by API clients, or as an
// HttpOnly SameSite=Strict cookie by the server-rendered pages (no script, no third-party post).
import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db, Queryable } from '../db/connect.js';
import { LedgerError } from '../ledger/types.js';
import { sha256 } from '../util/canonical.js';
import { hashPassword, verifyPassword } from '../util/secrets.js';

export const ARTIST_COOKIE = 'tba';
const TOKEN_RE = /^tba_[A-Za-z0-9_-]{32}$/;
/** Compared against when the email is unknown, so timing does not reveal accounts. */
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

export interface ArtistPrincipal {
  artistId: string;
  name: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    artist?: ArtistPrincipal;
  }
}

// Email verification. Sign-up creates the account unverified (artists.email_verified_at null) and
// queues a link (`tbv_…`, single use, 48 h, stored only as its SHA-256) in the email outbox. Until
// the link is used the account cannot log in and nothing of it is public (search, profile, line-ups).
//
// Signing up again with an address whose account is still unverified does not answer
// "email-taken" (an impostor must not lock the real owner out), and does not replace anything
// either: it sends a new link to that address, and each link carries the password and name of the
// sign-up that asked for it. Whoever reads the mailbox therefore decides: the link they use sets
// the account's password and name and verifies it; every other pending link dies with it.
// (Simply replacing the unverified account on each sign-up would let an impostor who signs up
// again just after the owner kill the owner's link and put their own password in the newest
// email.) A resend needs the password of one of the pending sign-ups and re-sends *that* sign-up's
// credentials, never someone else's. A verified address stays "email-taken" (409).

export const VERIFY_TTL_MS = 48 * 3600_000;
/** Verification emails per address and hour (against mail bombing through sign-up or resend). */
export const VERIFY_PER_HOUR = 5;
const VERIFY_RE = /^tbv_[A-Za-z0-9_-]{32}$/;
/** Pending sign-ups whose password a login or resend is checked against (newest first). */
const PENDING_CHECKED = 5;

export const normEmail = (email: string): string => email.trim().toLowerCase();
export const isVerifyToken = (token: string): boolean => VERIFY_RE.test(token);

export interface VerificationMail {
  to: string;
  token: string;
  name: string;
}

export interface VerifyOptions {
  ttlMs?: number;
  perHour?: number;
  /** Writes the email (outbox row) in the same transaction as the link. */
  queueMail: (tx: Queryable, m: VerificationMail) => Promise<unknown>;
}

async function issueLink(
  tx: Queryable,
  artistId: string,
  email: string,
  cred: { passwordHash: string; name: string },
  o: VerifyOptions,
): Promise<void> {
  const recent = await tx.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM artist_email_verifications
     WHERE artist_id = $1 AND created_at > now() - interval '1 hour'`,
    [artistId],
  );
  if (Number(recent.rows[0]?.n ?? 0) >= (o.perHour ?? VERIFY_PER_HOUR))
    throw new LedgerError(
      'too-many-emails',
      'too many verification emails were sent to this address in the last hour: use the last one received, or retry later',
      429,
    );
  const token = `tbv_${randomBytes(24).toString('base64url')}`;
  await tx.query(
    `INSERT INTO artist_email_verifications (token_hash, artist_id, password_hash, name, expires_at)
     VALUES ($1, $2, $3, $4, now() + $5::float8 * interval '1 millisecond')`,
    [sha256(token), artistId, cred.passwordHash, cred.name, o.ttlMs ?? VERIFY_TTL_MS],
  );
  await o.queueMail(tx, { to: email, token, name: cred.name });
}

/**
 * Sign-up: a new unverified account, or (address already signed up, not verified) a new link for
 * the same account carrying this sign-up's credentials. 409 `email-taken` once verified.
 */
export async function signUpArtist(
  db: Db,
  a: { email: string; password: string; name: string },
  o: VerifyOptions,
): Promise<{ artistId: string; created: boolean }> {
  const email = normEmail(a.email);
  const cred = { passwordHash: await hashPassword(a.password), name: a.name.trim() };
  return db.tx(async (tx) => {
    const id = randomUUID();
    // The unverified account keeps the first sign-up's hash: no login accepts it (loginArtist).
    const ins = await tx.query<{ id: string }>(
      `INSERT INTO artists (id, email, password_hash, name) VALUES ($1, $2, $3, $4)
       ON CONFLICT (email) DO NOTHING RETURNING id`,
      [id, email, cred.passwordHash, cred.name],
    );
    let artistId = ins.rows[0]?.id;
    if (!artistId) {
      const { rows } = await tx.query<{ id: string; verified: boolean }>(
        'SELECT id, email_verified_at IS NOT NULL AS verified FROM artists WHERE email = $1 FOR UPDATE',
        [email],
      );
      if (!rows[0] || rows[0].verified)
        throw new LedgerError('email-taken', 'an artist account already uses this email', 409);
      artistId = rows[0].id;
    }
    await issueLink(tx, artistId, email, cred, o);
    return { artistId, created: !!ins.rows[0] };
  });
}

/** The pending sign-up (newest first) whose password this is, for an unverified account. */
async function pendingMatch(
  q: Queryable,
  artistId: string,
  password: string,
): Promise<{ passwordHash: string; name: string } | null> {
  const { rows } = await q.query<{ password_hash: string; name: string }>(
    `SELECT password_hash, name FROM artist_email_verifications WHERE artist_id = $1
     ORDER BY created_at DESC LIMIT ${PENDING_CHECKED}`,
    [artistId],
  );
  for (const r of rows)
    if (await verifyPassword(password, r.password_hash))
      return { passwordHash: r.password_hash, name: r.name };
  return null;
}

/**
 * Resend: only for an unverified account and the password of one of its pending sign-ups (that
 * sign-up's credentials go in the new link). Anything else sends nothing; the caller answers the
 * same either way.
 */
export async function resendVerification(
  db: Db,
  email: string,
  password: string,
  o: VerifyOptions,
): Promise<boolean> {
  const e = normEmail(email);
  const { rows } = await db.query<{ id: string }>(
    'SELECT id FROM artists WHERE email = $1 AND email_verified_at IS NULL',
    [e],
  );
  if (!rows[0]) {
    await verifyPassword(password, DUMMY_HASH);
    return false;
  }
  const cred = await pendingMatch(db, rows[0].id, password);
  if (!cred) return false;
  return db.tx(async (tx) => {
    const still = await tx.query(
      'SELECT 1 FROM artists WHERE id = $1 AND email_verified_at IS NULL FOR UPDATE',
      [rows[0].id],
    );
    if (!still.rows[0]) return false;
    await issueLink(tx, rows[0].id, e, cred, o);
    return true;
  });
}

export type LinkState =
  | { ok: true; artistId: string; name: string }
  | { ok: false; reason: 'bad-link' | 'expired' | 'used' };

/** What a link would do (the page shows it before the POST that uses it); changes nothing. */
export async function peekVerification(q: Queryable, token: string): Promise<LinkState> {
  if (!isVerifyToken(token)) return { ok: false, reason: 'bad-link' };
  const { rows } = await q.query<{ artist_id: string; name: string; used: boolean; live: boolean }>(
    `SELECT artist_id, name, used_at IS NOT NULL AS used, expires_at > now() AS live
     FROM artist_email_verifications WHERE token_hash = $1`,
    [sha256(token)],
  );
  const r = rows[0];
  if (!r) return { ok: false, reason: 'bad-link' };
  if (r.used) return { ok: false, reason: 'used' };
  if (!r.live) return { ok: false, reason: 'expired' };
  return { ok: true, artistId: r.artist_id, name: r.name };
}

/**
 * Uses a link: one conditional UPDATE (unused, unexpired), so two clicks or two replicas cannot
 * both win. Verifies the account with the link's password and name, retires every other pending
 * link of the account and opens a session. A forged, expired or used link changes nothing.
 */
export async function verifyArtistEmail(
  db: Db,
  token: string,
  ttlMs: number,
): Promise<
  | { ok: true; artistId: string; token: string; expiresAt: Date }
  | { ok: false; reason: 'bad-link' | 'expired' | 'used' }
> {
  if (!isVerifyToken(token)) return { ok: false, reason: 'bad-link' };
  const out = await db.tx(async (tx) => {
    // The account row is locked first (as sign-up and resend do): two links of one account used at
    // once queue here instead of deadlocking on each other's link rows.
    const owner = await tx.query<{ artist_id: string }>(
      'SELECT artist_id FROM artist_email_verifications WHERE token_hash = $1',
      [sha256(token)],
    );
    if (!owner.rows[0]) return null;
    await tx.query('SELECT 1 FROM artists WHERE id = $1 FOR UPDATE', [owner.rows[0].artist_id]);
    const { rows } = await tx.query<{ artist_id: string; password_hash: string; name: string }>(
      `UPDATE artist_email_verifications SET used_at = now()
       WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
       RETURNING artist_id, password_hash, name`,
      [sha256(token)],
    );
    const r = rows[0];
    if (!r) return null;
    const upd = await tx.query(
      `UPDATE artists SET email_verified_at = now(), password_hash = $2, name = $3, updated_at = now()
       WHERE id = $1 AND email_verified_at IS NULL`,
      [r.artist_id, r.password_hash, r.name],
    );
    // Verified meanwhile through another link: this one is spent, nothing else changes.
    if (upd.count !== 1) return { spent: true as const };
    await tx.query(
      'UPDATE artist_email_verifications SET used_at = now() WHERE artist_id = $1 AND used_at IS NULL',
      [r.artist_id],
    );
    return {
      spent: false as const,
      artistId: r.artist_id,
      session: await openSession(tx, r.artist_id, ttlMs),
    };
  });
  if (!out) {
    const s = await peekVerification(db, token);
    return { ok: false, reason: s.ok ? 'bad-link' : s.reason };
  }
  if (out.spent) return { ok: false, reason: 'used' };
  return { ok: true, artistId: out.artistId, ...out.session };
}

async function openSession(
  q: Queryable,
  artistId: string,
  ttlMs: number,
): Promise<{ token: string; expiresAt: Date }> {
  const token = `tba_${randomBytes(24).toString('base64url')}`;
  const expiresAt = new Date(Date.now() + ttlMs);
  await q.query('INSERT INTO artist_sessions (token_hash, artist_id, expires_at) VALUES ($1, $2, $3)', [
    sha256(token),
    artistId,
    expiresAt,
  ]);
  return { token, expiresAt };
}

export type LoginResult =
  | { ok: true; token: string; artistId: string; expiresAt: Date }
  | { ok: false; reason: 'bad-credentials' | 'unverified' };

/**
 * Password login. An unverified account never logs in: with the password of one of its pending
 * sign-ups the answer is `unverified` (check the mailbox, resend), otherwise the usual
 * `bad-credentials`.
 */
export async function loginArtist(
  q: Queryable,
  email: string,
  password: string,
  ttlMs: number,
): Promise<LoginResult> {
  const { rows } = await q.query<{ id: string; password_hash: string; verified: boolean }>(
    'SELECT id, password_hash, email_verified_at IS NOT NULL AS verified FROM artists WHERE email = $1',
    [normEmail(email)],
  );
  const a = rows[0];
  if (a && !a.verified)
    return { ok: false, reason: (await pendingMatch(q, a.id, password)) ? 'unverified' : 'bad-credentials' };
  const ok = await verifyPassword(password, a?.password_hash ?? DUMMY_HASH);
  if (!a || !ok) return { ok: false, reason: 'bad-credentials' };
  return { ok: true, artistId: a.id, ...(await openSession(q, a.id, ttlMs)) };
}

export async function logoutArtist(q: Queryable, token: string): Promise<void> {
  await q.query('DELETE FROM artist_sessions WHERE token_hash = $1', [sha256(token)]);
}

/** The session token of a request: Bearer header first, then the pages' cookie. */
export function artistToken(req: FastifyRequest): string | null {
  const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
  if (bearer) return TOKEN_RE.test(bearer) ? bearer : null;
  const cookie = readCookie(req.headers.cookie, ARTIST_COOKIE);
  return cookie && TOKEN_RE.test(cookie) ? cookie : null;
}

export function readCookie(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return null;
}

export async function authenticateArtist(
  q: Queryable,
  token: string | null,
): Promise<ArtistPrincipal | null> {
  if (!token) return null;
  const { rows } = await q.query<{ id: string; name: string }>(
    `SELECT a.id, a.name FROM artist_sessions s JOIN artists a ON a.id = s.artist_id
     WHERE s.token_hash = $1 AND s.expires_at > now() AND a.email_verified_at IS NOT NULL`,
    [sha256(token)],
  );
  return rows[0] ? { artistId: rows[0].id, name: rows[0].name } : null;
}

/** preHandler for artist API routes: 401 without a valid artist session. */
export function requireArtist(q: Queryable) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const a = await authenticateArtist(q, artistToken(req));
    if (!a) {
      req.log.warn({ url: req.url }, 'bad artist credentials');
      return reply.code(401).send({ error: 'bad-credentials', message: 'missing or expired artist session' });
    }
    req.artist = a;
  };
}

export function sessionCookie(token: string, expiresAt: Date, secure: boolean): string {
  return `${ARTIST_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Expires=${expiresAt.toUTCString()}${secure ? '; Secure' : ''}`;
}

export const clearCookie = `${ARTIST_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;
