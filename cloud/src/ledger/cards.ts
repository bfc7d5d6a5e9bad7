// Card → wallet resolution for a set of taps, creating anonymous wallets at first tap.
import { num, type Tx } from '../db/connect.js';
import type { VenueCtx } from './venue.js';

export interface CardState {
  uid: string;
  walletId: number;
  blocked: boolean;
}

/**
 * Resolves cards of the venue's federation. `create` lists the UIDs whose first tap may create a
 * wallet: unknown cards when the federation allows anonymous wallets, and imported cards (known,
 * no wallet yet) always. Cards of another federation are invisible (tenant isolation).
 */
export async function resolveCards(
  tx: Tx,
  venue: VenueCtx,
  uids: string[],
  create: Set<string>,
): Promise<Map<string, CardState>> {
  const out = new Map<string, CardState>();
  if (!uids.length) return out;
  const { rows } = await tx.query<{ uid: string; wallet_id: unknown; blocked: boolean; own: boolean }>(
    'SELECT uid, wallet_id, blocked, federation_id = $2 AS own FROM cards WHERE uid = ANY($1::text[])',
    [textArray(uids), venue.federationId],
  );
  const foreign = new Set<string>();
  const needWallet: string[] = [];
  for (const r of rows) {
    if (!r.own) foreign.add(r.uid);
    else if (r.wallet_id === null) {
      if (create.has(r.uid)) needWallet.push(r.uid);
    } else out.set(r.uid, { uid: r.uid, walletId: num(r.wallet_id), blocked: r.blocked });
  }
  const known = new Set(rows.map((r) => r.uid));
  if (venue.allowAnonymous)
    for (const uid of uids) if (!known.has(uid) && create.has(uid)) needWallet.push(uid);
  if (!needWallet.length) return out;
  needWallet.sort();
  const w = await tx.query<{ id: unknown }>(
    'INSERT INTO wallets (federation_id) SELECT $1 FROM generate_series(1, $2::int) RETURNING id',
    [venue.federationId, needWallet.length],
  );
  const linked = await tx.query<{ uid: string; wallet_id: unknown; blocked: boolean }>(
    `INSERT INTO cards (uid, federation_id, wallet_id)
     SELECT u, $1, w FROM unnest($2::text[], $3::int8[]) x(u, w)
     ON CONFLICT (uid) DO UPDATE SET wallet_id = EXCLUDED.wallet_id
       WHERE cards.wallet_id IS NULL AND cards.federation_id = EXCLUDED.federation_id
     RETURNING uid, wallet_id, blocked`,
    [venue.federationId, needWallet, w.rows.map((r) => num(r.id))],
  );
  for (const r of linked.rows) out.set(r.uid, { uid: r.uid, walletId: num(r.wallet_id), blocked: r.blocked });
  return out;
}

/** text[] parameter as an array literal, every element quoted (cheaper than node-postgres' per-element escaping). */
export function textArray(xs: string[]): string {
  let s = '{';
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    s += `${i ? ',' : ''}"${/["\\]/.test(x) ? x.replace(/["\\]/g, '\\$&') : x}"`;
  }
  return `${s}}`;
}
