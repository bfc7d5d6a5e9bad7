// Cards of a sync batch and the accounts its postings touch, read in one statement: the cards'
// wallets with all their accounts, plus the venue's system accounts. The engine gets the accounts
// (preload), so posting the batch reads nothing more; cards still unknown (or without a wallet)
// go through resolveCards, which creates anonymous wallets at first tap.
import type { Tx } from '../db/connect.js';
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

/**
 * The batch's cards with their wallets' accounts come back as ONE text value, a line per card
 * account (`<position in uids> <wallet> <blocked> <own> <account> <balance> <asset>`, empty where
 * null): node-postgres turning 5,000 ten-column rows into objects cost ~15 ms of JS per batch,
 * splitting one string ~3 ms. The venue's system accounts (a handful) follow as plain rows.
 * Asset codes are last on the line (they match the API's code pattern: no newline).
 */
const CARDS_AND_ACCOUNTS = `
  SELECT NULL AS cards, a.id, a.wallet_id, a.system, a.asset, a.balance, a.allow_negative
  FROM accounts a WHERE a.system = ANY($3::text[])
  UNION ALL
  SELECT string_agg(concat_ws(' ', u.ord, coalesce(c.wallet_id::text, ''), c.blocked::int,
           (c.federation_id = $2)::int, coalesce(a.id::text, ''), coalesce(a.balance::text, ''),
           coalesce(a.asset, '')), E'\n'), NULL, NULL, NULL, NULL, NULL, NULL
  FROM unnest($1::text[]) WITH ORDINALITY u(uid, ord)
  JOIN cards c ON c.uid = u.uid
  LEFT JOIN accounts a ON a.wallet_id = c.wallet_id AND c.federation_id = $2`;

interface Row extends AccountRowDb {
  cards: string | null;
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
  const { rows } = await tx.query<Row>(CARDS_AND_ACCOUNTS, [
    textArray(uids),
    venue.federationId,
    textArray(venueSystemNames(venue.id)),
  ]);
  const out = new Map<string, CardState>();
  const wallets: number[] = [];
  const accounts: AccountRowDb[] = [];
  for (const r of rows) {
    if (r.cards === null) {
      if (r.id !== null) accounts.push(r);
      continue;
    }
    for (const line of r.cards.split('\n')) {
      const f = line.split(' ');
      if (f.length < 7) throw new Error(`cards read: malformed line ${JSON.stringify(line)}`);
      const uid = uids[Number(f[0]) - 1];
      // A foreign card (own = 0) is unknown here; a card without a wallet goes to resolveCards.
      if (f[3] !== '1' || f[1] === '') continue;
      const walletId = Number(f[1]);
      if (!out.has(uid)) {
        out.set(uid, { uid, walletId, blocked: f[2] === '1' });
        wallets.push(walletId);
      }
      if (f[4] !== '')
        accounts.push({
          id: Number(f[4]),
          wallet_id: walletId,
          system: null,
          asset: f.length === 7 ? f[6] : f.slice(6).join(' '),
          balance: Number(f[5]),
          // Only system accounts may go negative (accounts_negative_only_system).
          allow_negative: false,
        });
    }
  }
  // Only the wallets' accounts and the system ones: a foreign card's line carries no account.
  engine.preload(accounts, wallets);
  // Unknown cards and imported cards without a wallet: resolveCards decides (and creates).
  const rest = uids.filter((u) => !out.has(u) && create.has(u));
  if (rest.length) for (const [uid, c] of await resolveCards(tx, venue, rest, create)) out.set(uid, c);
  return out;
}
