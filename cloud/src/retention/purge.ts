// Retention of personal data the cloud only needs for a while, in one job (start runs it hourly,
// `tibillet-cloud purge` from cron):
//  - artists' abandoned sign-ups and dead verification links (artists/purge.ts);
//  - the email outbox: a mail holds an address, a name and often a login or verification link;
//    once sent (or given up after OUTBOX_MAX_ATTEMPTS) it serves only to answer "was it sent?",
//    which OUTBOX_RETENTION covers. An unsent row is the mail itself and is never touched;
//  - sessions (admin, artist, holder): every reader already refuses them once expired; the grace
//    period only keeps them around for an investigation of the days just before;
//  - card holders' emailed links (login, guardian invitation; holders/links.ts), each with an
//    address, once used or expired: see purgeHolderLinks.

import { purgeArtistSignups, type PurgeResult as SignupPurgeResult } from '../artists/purge.js';
import type { Db } from '../db/connect.js';
import { OUTBOX_MAX_ATTEMPTS } from '../dormancy/outbox.js';
import { everyInterval, type Rounds } from '../util/rounds.js';
import { drain } from './drain.js';

export const OUTBOX_RETENTION_MS = 30 * 24 * 3600_000;
export const SESSION_RETENTION_MS = 7 * 24 * 3600_000;
export const HOLDER_LINK_RETENTION_MS = 7 * 24 * 3600_000;

/** Every table of sessions keyed by token_hash with an expires_at (revocation deletes the row). */
export const SESSION_TABLES = ['sessions', 'artist_sessions', 'holder_sessions'] as const;
export type SessionTable = (typeof SESSION_TABLES)[number];

export interface RetentionResult {
  signups: SignupPurgeResult;
  /** Outbox rows deleted: sent, and given up (never sent, no retry left). */
  outbox: { sent: number; failed: number };
  /** Expired session rows deleted, per table. */
  sessions: Record<SessionTable, number>;
  /** Holder link rows (login, invitation) deleted, used or expired past retention. */
  holderLinks: number;
}

export async function purgeOutbox(
  db: Db,
  now: number = Date.now(),
  o: { retentionMs?: number; maxAttempts?: number } = {},
): Promise<RetentionResult['outbox']> {
  const cutoff = new Date(now - (o.retentionMs ?? OUTBOX_RETENTION_MS));
  const sent = await drain(db, 'email_outbox', 'id', 'sent_at < $1', [cutoff]);
  // A given-up row has no time of its last attempt; the sender tries every few seconds, so its
  // creation is close enough (and only earlier, i.e. the row is kept a little longer).
  const failed = await drain(
    db,
    'email_outbox',
    'id',
    'sent_at IS NULL AND attempts >= $2 AND created_at < $1',
    [cutoff, o.maxAttempts ?? OUTBOX_MAX_ATTEMPTS],
  );
  return { sent, failed };
}

export async function purgeSessions(
  db: Db,
  now: number = Date.now(),
  o: { retentionMs?: number } = {},
): Promise<RetentionResult['sessions']> {
  const cutoff = new Date(now - (o.retentionMs ?? SESSION_RETENTION_MS));
  const out = {} as RetentionResult['sessions'];
  for (const t of SESSION_TABLES) out[t] = await drain(db, t, 'token_hash', 'expires_at < $1', [cutoff]);
  return out;
}

/**
 * Deletes holder links used or expired more than `retentionMs` ago, and only once expired.
 * links.ts reads a row in two places, neither of which can miss a deleted one:
 *  - consumeLink: the token carries its own expiry and is refused as "expired" before any read
 *    once past it. Every row deleted here is past it (`expires_at <= now`, which also covers a used
 *    link whose expiry is still ahead), so a dead link still gets the "expired" page, never
 *    "invalid link", and a link still usable (unused, unexpired) is never deleted;
 *  - recentLinks (the per-address cap on sends) counts rows created in the last hour, and a row
 *    deleted here was created before it was used or expired, more than `retentionMs` ago.
 */
export async function purgeHolderLinks(
  db: Db,
  now: number = Date.now(),
  o: { retentionMs?: number } = {},
): Promise<number> {
  const cutoff = new Date(now - (o.retentionMs ?? HOLDER_LINK_RETENTION_MS));
  return drain(db, 'holder_links', 'id', '(used_at < $1 OR expires_at < $1) AND expires_at <= $2', [
    cutoff,
    new Date(now),
  ]);
}

export async function purgePersonalData(db: Db, now: number = Date.now()): Promise<RetentionResult> {
  // Sessions first: an unverified artist owning a session row is skipped by the sign-up purge.
  const sessions = await purgeSessions(db, now);
  const outbox = await purgeOutbox(db, now);
  const signups = await purgeArtistSignups(db, now);
  const holderLinks = await purgeHolderLinks(db, now);
  return { signups, outbox, sessions, holderLinks };
}

export type PurgeSchedule = Pick<Rounds, 'stop'>;

const anything = (r: RetentionResult): boolean =>
  [...Object.values(r.signups), ...Object.values(r.outbox), ...Object.values(r.sessions), r.holderLinks].some(
    (n) => n > 0,
  );

/**
 * Runs the purge now and then every `intervalMs` while the cloud runs (one round at a time, as the
 * email outbox sender). Logs counts only, never an address.
 */
export function startRetentionPurge(
  db: Db,
  o: { intervalMs: number; log?: (line: string, data?: object) => void },
): PurgeSchedule {
  return everyInterval(
    async () => {
      const r = await purgePersonalData(db);
      if (anything(r)) o.log?.('personal data purged', r);
    },
    o.intervalMs,
    (err) => o.log?.('personal data purge failed', { err: err.message }),
  );
}
