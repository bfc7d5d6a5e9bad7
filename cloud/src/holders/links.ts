// Emailed links (login, guardian invitation): `<id>.<expiry>.<sig>`, sig = HMAC-SHA256 under a key
// derived from the master key over (kind, id, expiry). The row in holder_links makes the link
// single use: consuming it is one conditional UPDATE (used_at IS NULL AND not expired), so two
// clicks, or two replicas, cannot both win. A forged or altered link fails the signature before
// any database read.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Queryable } from '../db/connect.js';
import { num } from '../db/connect.js';

export type LinkKind = 'login' | 'invite';

export const LOGIN_TTL_MS = 15 * 60_000;
export const INVITE_TTL_MS = 7 * 86_400_000;

const sign = (key: Buffer, kind: LinkKind, id: string, exp: number): string =>
  createHmac('sha256', key)
    .update(`tibillet-holder-link/v1\n${kind}\n${id}\n${exp}`)
    .digest('base64url')
    .slice(0, 32);

export interface NewLink {
  kind: LinkKind;
  email: string;
  walletId?: number;
  invitedBy?: string;
  ttlMs: number;
  now?: number;
}

export async function createLink(q: Queryable, key: Buffer, l: NewLink): Promise<string> {
  const id = randomBytes(16).toString('base64url');
  const exp = (l.now ?? Date.now()) + l.ttlMs;
  await q.query(
    'INSERT INTO holder_links (id, kind, email, wallet_id, invited_by, expires_at) VALUES ($1, $2, $3, $4, $5, $6)',
    [id, l.kind, l.email, l.walletId ?? null, l.invitedBy ?? null, new Date(exp)],
  );
  return `${id}.${exp}.${sign(key, l.kind, id, exp)}`;
}

export type ConsumeResult =
  | { ok: true; email: string; walletId: number | null; invitedBy: string | null }
  | { ok: false; reason: 'bad-link' | 'expired' | 'used' };

/** Checks the signature, then marks the link used (once). */
export async function consumeLink(
  q: Queryable,
  key: Buffer,
  kind: LinkKind,
  token: string,
  now = Date.now(),
): Promise<ConsumeResult> {
  const m = /^([A-Za-z0-9_-]{22})\.(\d{13})\.([A-Za-z0-9_-]{32})$/.exec(token);
  if (!m) return { ok: false, reason: 'bad-link' };
  const [, id, expText, sig] = m;
  const exp = Number(expText);
  const want = Buffer.from(sign(key, kind, id, exp));
  if (!timingSafeEqual(want, Buffer.from(sig))) return { ok: false, reason: 'bad-link' };
  if (exp <= now) return { ok: false, reason: 'expired' };
  const { rows } = await q.query<{ email: string; wallet_id: unknown; invited_by: string | null }>(
    `UPDATE holder_links SET used_at = now() WHERE id = $1 AND kind = $2 AND used_at IS NULL AND expires_at > $3
     RETURNING email, wallet_id, invited_by`,
    [id, kind, new Date(now)],
  );
  if (!rows[0]) {
    const r = await q.query<{ used: boolean }>(
      'SELECT used_at IS NOT NULL AS used FROM holder_links WHERE id = $1 AND kind = $2',
      [id, kind],
    );
    return { ok: false, reason: !r.rows[0] ? 'bad-link' : r.rows[0].used ? 'used' : 'expired' };
  }
  return {
    ok: true,
    email: rows[0].email,
    walletId: rows[0].wallet_id === null ? null : num(rows[0].wallet_id),
    invitedBy: rows[0].invited_by,
  };
}

/** Links sent to an address in the last hour (a cap against mail bombing). */
export async function recentLinks(q: Queryable, email: string, now = Date.now()): Promise<number> {
  const { rows } = await q.query<{ n: unknown }>(
    'SELECT count(*) AS n FROM holder_links WHERE email = $1 AND created_at > $2',
    [email, new Date(now - 3600_000)],
  );
  return num(rows[0].n);
}
