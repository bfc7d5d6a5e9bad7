// Retention of artists' sign-ups. A sign-up that was never confirmed keeps personal data (email,
// name, password hashes) for no purpose once its links are dead, and a used or expired link row
// (a password hash and a name) serves nothing after a while. `purgeArtistSignups(db, now)` deletes:
//  (b) links used or expired more than RETENTION ago (until then a dead link still gets its own
//      "used" / "expired" page rather than "invalid link");
//  (a) accounts never verified, created more than RETENTION ago, none of whose links expired less
//      than RETENTION ago (so a link still valid, or the resend of one, keeps the account).
// A verified account is never touched: only its dead link rows go, which also erases the password
// hashes an impostor left in links of that address before the owner verified it.
import type { Db } from '../db/connect.js';
import { drain, PURGE_BATCH } from '../retention/drain.js';

export const SIGNUP_RETENTION_MS = 7 * 24 * 3600_000;

export interface PurgeResult {
  /** Unverified accounts deleted. */
  accounts: number;
  /** Verification link rows deleted (those of deleted accounts included). */
  links: number;
  /**
   * Unverified accounts past retention kept because they own rows in other artist tables. The app
   * cannot create such rows for them (no login, no line-up before verification), so these come
   * from outside it (manual SQL, an older bug): deleting proposals would also delete venues'
   * messages, so they are left for a person to look at and only counted here.
   */
  skipped: number;
}

// The artist tables an account can own rows in besides its links (messages hang off proposals).
const OWNS_NOTHING = [
  'artist_sessions',
  'artist_images',
  'artist_availability',
  'event_artists',
  'artist_proposals',
]
  .map((t) => `NOT EXISTS (SELECT 1 FROM ${t} o WHERE o.artist_id = a.id)`)
  .join(' AND ');
const EXPIRED_UNVERIFIED = `a.email_verified_at IS NULL AND a.created_at < $1
  AND NOT EXISTS (SELECT 1 FROM artist_email_verifications v WHERE v.artist_id = a.id AND v.expires_at >= $1)`;

export async function purgeArtistSignups(
  db: Db,
  now: number = Date.now(),
  o: { retentionMs?: number } = {},
): Promise<PurgeResult> {
  const cutoff = new Date(now - (o.retentionMs ?? SIGNUP_RETENTION_MS));
  const out: PurgeResult = { accounts: 0, links: 0, skipped: 0 };
  for (;;) {
    const n = await db.tx(async (tx) => {
      // Sign-up, resend and verification lock the account row before they add or use a link, so
      // once locked here its links cannot change; the candidates are then re-read in a new
      // statement (a fresh snapshot on PostgreSQL): a link added just before the lock keeps it.
      const locked = await tx.query<{ id: string }>(
        `SELECT a.id FROM artists a WHERE ${EXPIRED_UNVERIFIED} AND ${OWNS_NOTHING}
         ORDER BY a.id LIMIT ${PURGE_BATCH} FOR UPDATE SKIP LOCKED`,
        [cutoff],
      );
      if (!locked.rows.length) return 0;
      const ids = (
        await tx.query<{ id: string }>(
          `SELECT a.id FROM artists a WHERE a.id = ANY($2::text[]) AND ${EXPIRED_UNVERIFIED} AND ${OWNS_NOTHING}`,
          [cutoff, locked.rows.map((r) => r.id)],
        )
      ).rows.map((r) => r.id);
      const links = await tx.query(
        'DELETE FROM artist_email_verifications WHERE artist_id = ANY($1::text[])',
        [ids],
      );
      const accounts = await tx.query('DELETE FROM artists WHERE id = ANY($1::text[])', [ids]);
      out.links += links.count;
      out.accounts += accounts.count;
      return locked.rows.length;
    });
    if (n < PURGE_BATCH) break;
  }
  out.links += await drain(
    db,
    'artist_email_verifications',
    'token_hash',
    '(used_at < $1 OR expires_at < $1)',
    [cutoff],
  );
  const skipped = await db.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM artists a WHERE ${EXPIRED_UNVERIFIED} AND NOT (${OWNS_NOTHING})`,
    [cutoff],
  );
  out.skipped = Number(skipped.rows[0]?.n ?? 0);
  return out;
}
