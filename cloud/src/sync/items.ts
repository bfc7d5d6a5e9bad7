// Journaled gateway transactions (docs/sync-api.md) → ledger operations. Used by the sync batch
// route and by the cashier REST routes (a REST spend is a one-item batch).
import { num, type Tx } from '../db/connect.js';
import { resolveCards } from '../ledger/cards.js';
import type { PostingEngine } from '../ledger/engine.js';
import type { AccountKey, Operation, OpResult, Posting, RejectReason } from '../ledger/types.js';
import { isRefundableHere, sys, type VenueCtx } from '../ledger/venue.js';
import { bodyHash } from '../util/canonical.js';

export type ItemType = 'spend' | 'topup' | 'void' | 'refund';

export interface SyncItem {
  id: string;
  type: ItemType;
  cardUid: string;
  at: number;
  legs: { asset: string; amount: number }[];
  funding?: 'cash' | 'card' | 'online';
  voids?: string;
  deviceId?: string;
  cashierId?: string;
  offline?: boolean;
  reason?: string;
}

export const MAX_BATCH_ITEMS = 5000;

const reject = (id: string, reason: RejectReason, detail?: string): OpResult => ({
  id,
  status: 'rejected',
  reason,
  ...(detail ? { detail } : {}),
});

interface VoidTarget {
  venueId: string | null;
  kind: string;
  walletId: number | null;
  /** Reversed postings, in the original order. */
  postings: Posting[];
  legs: Map<string, number>;
}

/** Processes items in order inside the caller's transaction (engine holds the log lock). */
export async function processItems(tx: Tx, engine: PostingEngine, venue: VenueCtx, items: SyncItem[]): Promise<OpResult[]> {
  const hashes = items.map((it) => bodyHash(it));
  const known = await engine.known(items.map((it) => it.id));
  const createFor = new Set(items.filter((it) => it.type === 'spend' || it.type === 'topup').map((it) => it.cardUid));
  const cards = await resolveCards(tx, venue, [...new Set(items.filter((it) => !known.has(it.id)).map((it) => it.cardUid))], createFor);
  const alreadyVoided = await voidedTargets(
    tx,
    items.filter((it) => it.type === 'void' && it.voids && !known.has(it.id)).map((it) => it.voids!),
  );

  const results: OpResult[] = new Array(items.length);
  let pending: { idx: number; op: Operation }[] = [];
  const pendingIds = new Set<string>();
  // The first segment reuses the ids looked up above; later ones (after an in-batch void) re-read.
  let first = true;
  const flush = async () => {
    if (!pending.length) return;
    const r = await engine.apply(
      pending.map((p) => p.op),
      first ? known : undefined,
    );
    first = false;
    pending.forEach((p, k) => {
      results[p.idx] = r[k];
    });
    pending = [];
    pendingIds.clear();
  };
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    const base = { id: it.id, venueId: venue.id, kind: it.type, bodyHash: hashes[i], at: it.at };
    if (known.has(it.id)) {
      // The engine answers duplicate / idempotency-conflict without posting anything.
      pending.push({ idx: i, op: { ...base, postings: [] } });
      pendingIds.add(it.id);
      continue;
    }
    if (it.type === 'void' && it.voids && pendingIds.has(it.voids)) await flush();
    const mapped = await toOperation(tx, venue, it, base, cards.get(it.cardUid), alreadyVoided);
    if ('reject' in mapped) {
      results[i] = mapped.reject;
      continue;
    }
    if (mapped.op.ref) alreadyVoided.add(mapped.op.ref);
    pending.push({ idx: i, op: mapped.op });
    pendingIds.add(it.id);
  }
  await flush();
  return results;
}

async function toOperation(
  tx: Tx,
  venue: VenueCtx,
  it: SyncItem,
  base: Omit<Operation, 'postings'>,
  card: { walletId: number; blocked: boolean } | undefined,
  alreadyVoided: Set<string>,
): Promise<{ op: Operation } | { reject: OpResult }> {
  if (!card) return { reject: reject(it.id, 'unknown-card', `card ${it.cardUid} unknown in this federation`) };
  if (card.blocked) return { reject: reject(it.id, 'card-blocked') };
  const seen = new Set<string>();
  for (const leg of it.legs) {
    if (seen.has(leg.asset)) return { reject: reject(it.id, 'bad-item', `asset ${leg.asset} appears twice`) };
    seen.add(leg.asset);
    if (!venue.assets.has(leg.asset)) return { reject: reject(it.id, 'unknown-asset', `${leg.asset} is not usable at ${venue.id}`) };
  }
  const wallet: AccountKey = { wallet: card.walletId };
  const v = venue.id;
  const op = (postings: Posting[], ref?: string): { op: Operation } => ({
    op: { ...base, postings, reportWallet: card.walletId, ...(ref ? { ref } : {}) },
  });
  switch (it.type) {
    case 'spend':
      return op(
        it.legs.map((l) => ({
          asset: l.asset,
          from: wallet,
          to: sys.venue(v),
          amount: l.amount,
          kind: 'spend',
          ...(it.offline ? { shortfallFrom: sys.standIn(v) } : {}),
        })),
      );
    case 'topup': {
      if (!it.funding) return { reject: reject(it.id, 'bad-item', 'topup needs funding') };
      const postings: Posting[] = [];
      for (const l of it.legs) {
        const asset = venue.assets.get(l.asset)!;
        if (asset.kind === 'time' || asset.kind === 'membership')
          return { reject: reject(it.id, 'bad-item', `${l.asset} is credited by a venue admin, not topped up`) };
        const from = asset.kind === 'federated_eur' ? sys.funding(v, it.funding) : sys.issuance(v);
        postings.push({ asset: l.asset, from, to: wallet, amount: l.amount, kind: 'topup' });
      }
      return op(postings);
    }
    case 'refund': {
      for (const l of it.legs)
        if (!isRefundableHere(venue.assets.get(l.asset)!, v))
          return { reject: reject(it.id, 'bad-item', `${l.asset} is not refundable at ${v}`) };
      return op(it.legs.map((l) => ({ asset: l.asset, from: wallet, to: sys.payout(v), amount: l.amount, kind: 'refund' })));
    }
    case 'void': {
      if (!it.voids) return { reject: reject(it.id, 'bad-item', 'void needs voids') };
      if (alreadyVoided.has(it.voids)) return { reject: reject(it.id, 'already-voided', `${it.voids} was already voided`) };
      const target = await loadVoidTarget(tx, it.voids);
      if (!target || target.kind !== 'spend' || target.venueId !== v)
        return { reject: reject(it.id, 'void-target-unknown', `no spend ${it.voids} at ${v}`) };
      if (target.walletId !== card.walletId) return { reject: reject(it.id, 'bad-item', 'voided spend belongs to another card') };
      const legs = new Map(it.legs.map((l) => [l.asset, l.amount]));
      const same = legs.size === target.legs.size && [...legs].every(([a, n]) => target.legs.get(a) === n);
      if (!same) return { reject: reject(it.id, 'bad-item', 'void legs differ from the voided spend') };
      return op(target.postings, it.voids);
    }
  }
}

async function voidedTargets(tx: Tx, ids: string[]): Promise<Set<string>> {
  if (!ids.length) return new Set();
  const { rows } = await tx.query<{ ref: string }>("SELECT ref FROM operations WHERE kind = 'void' AND ref = ANY($1::text[])", [ids]);
  return new Set(rows.map((r) => r.ref));
}

async function loadVoidTarget(tx: Tx, id: string): Promise<VoidTarget | null> {
  const { rows } = await tx.query<Record<string, unknown>>(
    `SELECT o.kind AS op_kind, o.venue_id, t.asset, t.amount, da.wallet_id AS dw, da.system AS ds, ca.wallet_id AS cw, ca.system AS cs
     FROM operations o
     JOIN transfers t ON t.operation_id = o.id
     JOIN accounts da ON da.id = t.debit
     JOIN accounts ca ON ca.id = t.credit
     WHERE o.id = $1 ORDER BY t.id`,
    [id],
  );
  if (!rows.length) return null;
  const key = (w: unknown, s: unknown): AccountKey => (w === null ? { system: s as string } : { wallet: num(w) });
  const legs = new Map<string, number>();
  let walletId: number | null = null;
  const postings: Posting[] = rows.map((r) => {
    const asset = r.asset as string;
    const amount = num(r.amount);
    legs.set(asset, (legs.get(asset) ?? 0) + amount);
    if (r.dw !== null) walletId = num(r.dw);
    return { asset, from: key(r.cw, r.cs), to: key(r.dw, r.ds), amount, kind: 'void' };
  });
  return { venueId: rows[0].venue_id as string | null, kind: rows[0].op_kind as string, walletId, postings, legs };
}

