/**
 * The holder's wallet link, printed as a QR on a card without NTAG 424 (UID-only cards): an
 * unguessable capability URL, /wallet/<uid>/<sig>, sig = HMAC-SHA256(master key, uid, issue)
 * truncated to 128 bits. Knowing a UID (any reader can read it) is not enough to see a wallet.
 *
 * `issue` counts the card's re-issues (a returned card given to a new holder): each re-issue
 * changes the link, so the former holder's copy stops opening the new holder's wallet (and its
 * payment code). Issue 0 keeps the original form, so links printed before re-issues existed work.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { num, type Queryable } from '../db/connect.js';

export function walletSig(masterKey: Buffer, uid: string, issue = 0): string {
  const suffix = issue > 0 ? `\n${issue}` : '';
  return createHmac('sha256', masterKey)
    .update(`tibillet-wallet-link/v1\n${uid.toUpperCase()}${suffix}`)
    .digest('hex')
    .slice(0, 32);
}

export function checkWalletSig(masterKey: Buffer, uid: string, sig: string, issue = 0): boolean {
  const want = Buffer.from(walletSig(masterKey, uid, issue));
  const got = Buffer.from(sig.toLowerCase());
  return got.length === want.length && timingSafeEqual(got, want);
}

export const walletPath = (masterKey: Buffer, uid: string, issue = 0): string =>
  `/wallet/${uid.toUpperCase()}/${walletSig(masterKey, uid, issue)}`;

/** How many times the card was re-issued (0 for a card never returned). */
export async function cardIssue(db: Queryable, uid: string): Promise<number> {
  const r = await db.query<{ n: unknown }>('SELECT count(*) AS n FROM card_reissues WHERE card_uid = $1', [
    uid.toUpperCase(),
  ]);
  return num(r.rows[0]?.n ?? 0);
}

/** The link is this card's current one (a link of an earlier holder is refused). */
export async function checkWalletLink(
  db: Queryable,
  masterKey: Buffer,
  uid: string,
  sig: string,
): Promise<boolean> {
  return checkWalletSig(masterKey, uid, sig, await cardIssue(db, uid));
}
