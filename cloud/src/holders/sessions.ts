// Holder sessions: a random token in an HttpOnly, SameSite=Lax cookie scoped to /me; only its
// SHA-256 is stored. Forms carry a CSRF token bound to the session (HMAC of the session hash), on
// top of SameSite, so a page elsewhere cannot make a logged-in holder's browser post a form.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Queryable } from '../db/connect.js';
import { buf } from '../db/connect.js';

export const SESSION_COOKIE = 'tb_holder';
export const SESSION_TTL_MS = 12 * 3600_000;

const hashOf = (token: string): Buffer => createHash('sha256').update(token).digest();

export async function createSession(q: Queryable, email: string, now = Date.now()): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await q.query('INSERT INTO holder_sessions (token_hash, email, expires_at) VALUES ($1, $2, $3)', [
    hashOf(token),
    email,
    new Date(now + SESSION_TTL_MS),
  ]);
  return token;
}

export interface HolderSession {
  email: string;
  /** For the CSRF token. */
  hash: Buffer;
}

export async function readSession(q: Queryable, token: string | undefined): Promise<HolderSession | null> {
  if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
  const hash = hashOf(token);
  const { rows } = await q.query<{ email: string; token_hash: unknown }>(
    'SELECT email, token_hash FROM holder_sessions WHERE token_hash = $1 AND expires_at > now()',
    [hash],
  );
  return rows[0] ? { email: rows[0].email, hash: buf(rows[0].token_hash) } : null;
}

export async function endSession(q: Queryable, token: string | undefined): Promise<void> {
  if (token) await q.query('DELETE FROM holder_sessions WHERE token_hash = $1', [hashOf(token)]);
}

export function csrfToken(key: Buffer, s: HolderSession): string {
  return createHmac('sha256', key).update('tibillet-holder-csrf/v1').update(s.hash).digest('base64url');
}

export function checkCsrf(key: Buffer, s: HolderSession, token: unknown): boolean {
  if (typeof token !== 'string') return false;
  const want = Buffer.from(csrfToken(key, s));
  const got = Buffer.from(token);
  return got.length === want.length && timingSafeEqual(got, want);
}
