// Artist accounts: sign-up, password login (scrypt, as admin users) and sessions. A session token
// (`tba_…`, stored only as its SHA-256) is sent as a Bearer header by API clients, or as an
// HttpOnly SameSite=Strict cookie by the server-rendered pages (no script, no third-party post).
import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Queryable } from '../db/connect.js';
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

export async function createArtist(
  q: Queryable,
  a: { email: string; password: string; name: string },
): Promise<{ id: string }> {
  const id = randomUUID();
  const r = await q.query(
    `INSERT INTO artists (id, email, password_hash, name) VALUES ($1, $2, $3, $4)
     ON CONFLICT (email) DO NOTHING`,
    [id, a.email.trim().toLowerCase(), await hashPassword(a.password), a.name.trim()],
  );
  if (r.count !== 1) throw new LedgerError('email-taken', 'an artist account already uses this email', 409);
  return { id };
}

export async function loginArtist(
  q: Queryable,
  email: string,
  password: string,
  ttlMs: number,
): Promise<{ token: string; artistId: string; expiresAt: Date } | null> {
  const { rows } = await q.query<{ id: string; password_hash: string }>(
    'SELECT id, password_hash FROM artists WHERE email = $1',
    [email.trim().toLowerCase()],
  );
  const ok = await verifyPassword(password, rows[0]?.password_hash ?? DUMMY_HASH);
  if (!rows[0] || !ok) return null;
  const token = `tba_${randomBytes(24).toString('base64url')}`;
  const expiresAt = new Date(Date.now() + ttlMs);
  await q.query('INSERT INTO artist_sessions (token_hash, artist_id, expires_at) VALUES ($1, $2, $3)', [
    sha256(token),
    rows[0].id,
    expiresAt,
  ]);
  return { token, artistId: rows[0].id, expiresAt };
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
     WHERE s.token_hash = $1 AND s.expires_at > now()`,
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
