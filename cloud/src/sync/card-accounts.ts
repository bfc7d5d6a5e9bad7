// Cards of a sync batch and the accounts its postings touch, read in one statement: the cards'
// wallets with all their accounts, plus the venue's system accounts. The engine gets the accounts
// (preload), so posting the batch reads nothing more; cards still unknown (or without a wallet)
// go through resolveCards, which creates anonymous wallets at first tap.
import { num, type Tx } from '../db/connect.js';
import { type CardState, resolveCards, textArray } from '../ledger/cards.js';
import type { AccountRowDb, PostingEngine } from '../ledger/engine.js';
import { sys, type VenueCtx } from '../ledger/venue.js';

/** System accounts a sync item may post to at this venue (see toOperation). */
export function venueSystemNames(v: string): string[] {
  return [
    sys.venue(v).system,
    sys.standIn(v).system,
    sys.payout(v).system,
    sys.issuance(v).system,
    sys.funding(v, 'cash').system,
    sys.funding(v, 'card').system,
    sys.funding(v, 'online').system,
  ];
}

interface Row extends AccountRowDb {
  uid: string | null;
  card_wallet: unknown;
  blocked: boolean | null;
  own: boolean | null;
}

/**
 * Resolves cards like resolveCards (same tenant rules: another federation's card is unknown) and
 * preloads into the engine every account of their wallets and the venue's system accounts. Must
 * run under the engine's log lock (the balances read are the ones the engine posts against).
 */
export async function loadCardsAndAccounts(
  tx: Tx,
  engine: PostingEngine,
  venue: VenueCtx,
  uids: string[],
  create: Set<string>,
): Promise<Map<string, CardState>> {
  const { rows } = await tx.query<Row>(
    `SELECT c.uid, c.wallet_id AS card_wallet, c.blocked, c.federation_id = $2 AS own,
            a.id, a.wallet_id, a.system, a.asset, a.balance, a.allow_negative
     FROM cards c LEFT JOIN accounts a ON a.wallet_id = c.wallet_id AND c.federation_id = $2
     WHERE c.uid = ANY($1::text[])
     UNION ALL
     SELECT NULL, NULL, NULL, NULL, a.id, a.wallet_id, a.system, a.asset, a.balance, a.allow_negative
     FROM accounts a WHERE a.system = ANY($3::text[])`,
    [textArray(uids), venue.federationId, textArray(venueSystemNames(venue.id))],
  );
  const out = new Map<string, CardState>();
  const seen = new Set<string>();
  const wallets: number[] = [];
  const accounts: AccountRowDb[] = [];
  for (const r of rows) {
    if (r.id !== null) accounts.push(r);
    if (r.uid === null || seen.has(r.uid)) continue;
    seen.add(r.uid);
    if (r.own && r.card_wallet !== null) {
      const walletId = num(r.card_wallet);
      out.set(r.uid, { uid: r.uid, walletId, blocked: r.blocked === true });
      wallets.push(walletId);
    }
  }
  // Only the wallets' accounts and the system ones: a foreign card's row carries no account.
  engine.preload(accounts, wallets);
  // Unknown cards and imported cards without a wallet: resolveCards decides (and creates).
  const rest = uids.filter((u) => !out.has(u) && create.has(u));
  if (rest.length) for (const [uid, c] of await resolveCards(tx, venue, rest, create)) out.set(uid, c);
  return out;
}
